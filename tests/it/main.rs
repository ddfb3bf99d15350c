//! The one integration-test binary: every test drives the real `tracker-mcp` binary over
//! stdio, as an MCP client does.

mod common;

mod bitbucket_fake;
mod bitbucket_mock;
mod cli;
mod examples;
mod protocol;
mod readme;
mod schemas;
mod security;
