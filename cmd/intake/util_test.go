package main

import (
	"log/slog"
	"os"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }
