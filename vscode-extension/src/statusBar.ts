// The status-bar item: what the server says it is doing (`rustdocGen/status`).
import * as vscode from "vscode";

/** Payload of the `rustdocGen/status` notification (CONTRACTS.md). */
export interface ServerStatus {
  state: "template" | "loading" | "ready" | "generating" | "error";
  model: string | null;
  message: string | null;
}

export const STATUS_NOTIFICATION = "rustdocGen/status";

const LOOK: Record<ServerStatus["state"] | "starting" | "stopped", { icon: string; label: string; help: string }> = {
  starting: { icon: "$(loading~spin)", label: "starting", help: "The rustdoc-gen language server is starting." },
  stopped: { icon: "$(circle-slash)", label: "stopped", help: "The rustdoc-gen language server is not running." },
  template: { icon: "$(book)", label: "template", help: "No model: the deterministic template engine writes the docs." },
  loading: { icon: "$(loading~spin)", label: "loading", help: "Loading the model." },
  ready: { icon: "$(book)", label: "ready", help: "The model is loaded." },
  generating: { icon: "$(sync~spin)", label: "generating", help: "Writing a doc." },
  error: { icon: "$(warning)", label: "error", help: "The model could not be used; the template engine serves." },
};

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(showOutputCommand: string) {
    this.item = vscode.window.createStatusBarItem("rustdocGen.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "rustdoc-gen";
    this.item.command = showOutputCommand;
    this.show("starting", null, null);
  }

  update(status: ServerStatus): void {
    const state = status.state in LOOK ? status.state : "error";
    this.show(state, status.model, status.message);
  }

  starting(): void {
    this.show("starting", null, null);
  }

  stopped(message: string | null): void {
    this.show("stopped", null, message);
  }

  private show(state: keyof typeof LOOK, model: string | null, message: string | null): void {
    const look = LOOK[state];
    this.item.text = `${look.icon} rustdoc: ${look.label}`;
    const lines = [look.help];
    if (model) {
      lines.push(`Model: ${model}`);
    }
    if (message) {
      lines.push(message);
    }
    lines.push("Click to show the server's output.");
    this.item.tooltip = lines.join("\n\n");
    this.item.backgroundColor =
      state === "error" || state === "stopped" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
