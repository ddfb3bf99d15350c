#!/usr/bin/env node
// The `tracker-mcp` command of the npm package: finds the binary that the platform package
// (an optional dependency, installed only where its `os`/`cpu` match) carries, and runs it
// with this process's stdin, stdout and stderr, so the MCP client talks to the binary
// directly. Its exit code, or the signal that ended it, is passed on unchanged.
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");

const exe = process.platform === "win32" ? "tracker-mcp.exe" : "tracker-mcp";
const platformPackage = `tracker-mcp-${process.platform}-${process.arch}`;

function binaryPath() {
  try {
    const manifest = require.resolve(`${platformPackage}/package.json`);
    return path.join(path.dirname(manifest), "bin", exe);
  } catch {
    const supported = Object.keys(require("../package.json").optionalDependencies || {});
    process.stderr.write(
      `tracker-mcp: no binary for ${process.platform}-${process.arch}: the package ` +
        `${platformPackage} is not installed.\n` +
        (supported.includes(platformPackage)
          ? "Reinstall without --omit=optional (or --no-optional) so that npm installs it.\n"
          : `Prebuilt binaries exist for: ${supported.join(", ")}. Elsewhere, build from ` +
            "source: cargo install --locked --path . in a clone.\n"),
    );
    process.exit(1);
  }
}

const binary = binaryPath();
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });

// A client that stops the server signals this process; the binary must hear it too.
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
for (const signal of forwarded) {
  try {
    process.on(signal, () => child.kill(signal));
  } catch {
    // Not every signal exists on every platform (Windows has no SIGQUIT).
  }
}

child.on("error", (err) => {
  process.stderr.write(`tracker-mcp: cannot start ${binary}: ${err.message}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so the parent sees what the binary saw.
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
