//! The one integration-test binary: every test drives the real `tracker-mcp` binary over
//! stdio, as an MCP client does.

mod common;

mod cli;
mod examples;
mod protocol;
mod readme;
mod schemas;
mod security;
mod bugzilla;
mod bugzilla_fake;
