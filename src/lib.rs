//! tracker-mcp: one MCP server for Bugzilla, Redmine and Bitbucket over stdio, or over Streamable HTTP ([`remote`]).
//!
//! Data flows one way: the client's call reaches [`server::TrackerServer`], whose tool set was
//! fixed at start-up by [`config`] and [`policy`]; each tracker's tools call their typed API
//! client, which sends through the one [`http`] layer; answers are rendered as compact text
//! ([`render`]) and failures are mapped once ([`error`]).

pub mod audit;
pub mod bitbucket;
pub mod bugzilla;
pub mod catalog;
pub mod config;
pub mod content;
pub mod error;
pub mod http;
pub mod logging;
pub mod params;
pub mod policy;
pub mod prompts;
pub mod redmine;
pub mod remote;
pub mod render;
pub mod schema;
pub mod server;
pub mod stdio;
pub mod tracker;
pub mod upload;

#[cfg(test)]
mod fuzz_tests;

pub use config::Config;
pub use error::{Error, Result};
pub use server::TrackerServer;
