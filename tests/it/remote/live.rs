//! The official Python and TypeScript SDK clients against `serve --http` in front of the real
//! trackers (Redmine 5.0 and Bugzilla 5.3.3 from scripts/test), in both modes: the tools of
//! both trackers are listed and `redmine_whoami` answers with the real account.

use super::{Remote, python_client, ts_client};
use crate::common::live;

#[tokio::test]
async fn sdk_clients_list_and_call_tools_against_the_real_trackers() {
    let names = ["REDMINE_URL", "REDMINE_API_KEY", "BZ533_URL", "BZ533_API_KEY"];
    let Some(v) = live("Redmine and Bugzilla 5.3.3 over HTTP", &names) else { return };
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", v["REDMINE_URL"].as_str()),
        ("REDMINE_API_KEY", v["REDMINE_API_KEY"].as_str()),
        ("BUGZILLA_URL", v["BZ533_URL"].as_str()),
        ("BUGZILLA_API_KEY", v["BZ533_API_KEY"].as_str()),
    ];
    for args in [&[][..], &["--http-stateless"][..]] {
        // Over HTTP the credentials are checked at start, against the real servers.
        let server = Remote::start(&env, args).await;
        let Some(python) = python_client(&server.url()).await else { return };
        let Some(typescript) = ts_client(&server.url()).await else { return };
        for (client, out) in [("Python", &python), ("TypeScript", &typescript)] {
            assert!(out.contains("unauthorized: refused"), "{client} {args:?}: {out}");
            assert!(
                out.contains("bugzilla_bug_read") && out.contains("redmine_issue_read"),
                "{client}: {out}"
            );
            assert!(
                out.to_lowercase().contains("(iserror=false)") && out.contains("login admin"),
                "{client} {args:?}: {out}"
            );
        }
        let (_, stderr) = server.terminate().await;
        for secret in [&v["REDMINE_API_KEY"], &v["BZ533_API_KEY"]] {
            assert!(!stderr.contains(secret.as_str()), "a tracker key in the server's log");
        }
    }
}
