//! The one integration-test binary: every test drives the real `tracker-mcp` binary over
//! stdio, as an MCP client does (`remote.rs`: over Streamable HTTP, `serve --http`).

mod common;

mod bitbucket_ci;
mod bitbucket_fake;
mod bitbucket_mock;
mod bitbucket_review;
mod bugzilla;
mod bugzilla_fake;
mod bugzilla_flows;
mod cli;
mod context_cost;
mod examples;
mod fault_server;
mod faults;
mod hostile;
mod images;
mod paging;
mod poison;
mod protocol;
mod readme;
mod redmine_fake;
mod redmine_live;
mod redmine_notes;
mod remote;
mod schemas;
mod security;
mod tool_list;
mod untrusted;
mod uploads;
mod write_scope;
