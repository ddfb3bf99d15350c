//! Local fakes of the trackers (wiremock): the shared answer helper and a guard that turns a
//! request nobody expected into a failing test instead of a quiet 404.

use serde_json::Value;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A fake upstream whose unexpected requests fail the test: a catch-all at the lowest priority
/// answers them `599 unexpected <method> <path>` (so the tool's error names the request) and,
/// expected zero times, fails the test when the server is dropped.
pub async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(599).set_body_string(format!(
                "unexpected {} {}",
                request.method,
                request.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: a request no test expected")
        .mount(&server)
        .await;
    server
}

/// `200 OK` with a JSON body.
pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}
