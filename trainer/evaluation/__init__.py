"""`rustdoc-gen eval`: doc generators side by side on held-out code."""
