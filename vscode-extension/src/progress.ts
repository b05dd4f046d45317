// The server's work-done progress (model generation) as a cancellable
// notification. vscode-languageclient shows server-created progress in the
// status bar only, where it cannot be cancelled; a doc that takes seconds to
// write deserves a visible "Cancel".
import * as vscode from "vscode";
import {
  type ClientCapabilities,
  type FeatureState,
  type LanguageClient,
  type ProgressToken,
  type StaticFeature,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressReport,
} from "vscode-languageclient/node";

class NotificationProgress {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  private finish: (() => void) | undefined;
  private ended = false;
  private reported = 0;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly client: LanguageClient,
    private readonly token: ProgressToken,
    private readonly onEnd: (part: NotificationProgress) => void,
  ) {
    this.subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === "begin") {
        this.begin(value);
      } else if (value.kind === "report") {
        this.report(value);
      } else {
        this.end();
      }
    });
  }

  private begin(value: WorkDoneProgressBegin): void {
    const options = { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable === true };
    void vscode.window.withProgress(options, (progress, cancellation) => {
      if (this.ended) {
        return Promise.resolve();
      }
      this.progress = progress;
      cancellation.onCancellationRequested(() => {
        void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: this.token });
      });
      this.report(value);
      return new Promise<void>((resolve) => {
        this.finish = resolve;
      });
    });
  }

  private report(value: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    if (this.progress === undefined) {
      return;
    }
    let increment: number | undefined;
    if (typeof value.percentage === "number") {
      increment = Math.max(0, Math.min(value.percentage, 100) - this.reported);
      this.reported += increment;
    }
    this.progress.report({ message: value.message, increment });
  }

  end(): void {
    this.ended = true;
    this.subscription.dispose();
    this.finish?.();
    this.finish = undefined;
    this.onEnd(this);
  }
}

/**
 * Answers `window/workDoneProgress/create` with notification progress. Register
 * it with `client.registerFeature`: features initialize in registration order,
 * so this handler replaces the built-in one on every (re)start.
 */
export class NotificationProgressFeature implements StaticFeature {
  private readonly active = new Set<NotificationProgress>();

  constructor(private readonly client: LanguageClient) {}

  getState(): FeatureState {
    return { kind: "static" };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.active.add(new NotificationProgress(this.client, token, (part) => this.active.delete(part)));
      return null;
    });
  }

  clear(): void {
    for (const part of [...this.active]) {
      part.end();
    }
  }
}
