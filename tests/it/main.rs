//! The one integration-test binary: every test drives the real `tracker-mcp` binary over
//! stdio, as an MCP client does.

mod common;

mod bugzilla;
mod bugzilla_fake;
mod cli;
mod examples;
mod protocol;
mod readme;
mod schemas;
mod security;
