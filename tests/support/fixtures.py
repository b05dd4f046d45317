"""Session fixtures building tiny models once per test run (filled in by the trainer work)."""
