//! The one integration-test binary: every test drives the real `tracker-mcp` binary over
//! stdio, as an MCP client does.

mod common;

mod bitbucket_fake;
mod bitbucket_mock;
mod bugzilla;
mod bugzilla_fake;
mod cli;
mod context_cost;
mod examples;
mod fault_server;
mod faults;
mod hostile;
mod paging;
mod poison;
mod protocol;
mod readme;
mod redmine_fake;
mod redmine_live;
mod schemas;
mod security;
mod tool_list;
mod untrusted;
mod write_scope;
