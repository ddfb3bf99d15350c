//! Bugzilla's error answers, mapped to one actionable message per known code.

use serde::Deserialize;
use serde_json::Value;

use super::{BugzillaApi, TRACKER};
use crate::error::{Error, sanitize};
use crate::http::Response;

/// Bugzilla's error body: `code` is a number on 5.2 and a string on 5.3.3.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    #[must_use]
    pub fn code(&self) -> Option<i64> {
        match &self.code {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
    }
}

impl BugzillaApi {
    /// One actionable message per error code Bugzilla is known to answer (see the upstream
    /// README); anything else falls back to the status with Bugzilla's own (sanitized) text.
    pub(in crate::bugzilla) fn map_error(&self, response: &Response, subject: &str) -> Error {
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        let raw = body.as_ref().and_then(|b| b.message.clone()).unwrap_or_default();
        let said = sanitize(&raw);
        let code = body.as_ref().and_then(ErrorBody::code);
        let anon_hint = if self.anonymous {
            " The server runs anonymously (BUGZILLA_ANONYMOUS=true); set BUGZILLA_API_KEY to see more."
        } else {
            ""
        };
        let Some(code) = code else {
            return response.status_error(TRACKER, subject, (!raw.is_empty()).then_some(raw.as_str()));
        };
        match code {
            306 => Error::Unauthorized(
                "Bugzilla says the API key is invalid (code 306): check BUGZILLA_API_KEY \
                 (`tracker-mcp check` tests it)"
                    .into(),
            ),
            410 if self.anonymous => Error::Unauthorized(
                "Bugzilla requires a login for this (code 410), and the server runs anonymously \
                 (BUGZILLA_ANONYMOUS=true): set BUGZILLA_API_KEY to write"
                    .into(),
            ),
            410 => Error::Unauthorized(
                "Bugzilla treated the request as logged out (code 410): the API key was not \
                 accepted. On Bugzilla 5.0/5.2 use BUGZILLA_API_KEY_MODE=auto or param"
                    .into(),
            ),
            505 if self.anonymous => Error::Unauthorized(format!(
                "Bugzilla lets only logged-in accounts look up users (code 505).{anon_hint}"
            )),
            505 => Error::Unauthorized(
                "Bugzilla treated the request as logged out (code 505): the API key was not \
                 accepted. This instance ignores X-BUGZILLA-API-KEY (Bugzilla 5.0/5.2): use \
                 BUGZILLA_API_KEY_MODE=auto or param"
                    .into(),
            ),
            304 => Error::Forbidden(format!(
                "{subject} is not visible to this account (Bugzilla code 304: {said}){anon_hint}"
            )),
            300..=303 | 305 | 307 | 308 => {
                Error::Unauthorized(format!("Bugzilla refused the login (code {code}): {said}"))
            }
            100 => Error::NotFound(format!(
                "{subject}: no bug has this id or alias (Bugzilla code 100). Ids are numbers; \
                 aliases are exact"
            )),
            101 => Error::NotFound(format!("{} does not exist (Bugzilla code 101)", bug_in(&raw, subject))),
            102 => Error::Forbidden(format!(
                "{} is not visible to this account (Bugzilla code 102; HTTP 401): it is restricted \
                 to groups this account is not in.{anon_hint}",
                bug_in(&raw, subject)
            )),
            110 => Error::Forbidden(format!(
                "{} is private (Bugzilla code 110): only members of the insider group see it",
                number_after(&raw, "Comment id ")
                    .map_or_else(|| "the comment".to_owned(), |n| format!("comment {n}"))
            )),
            // bug_url_invalid, bug_url_too_long: a see-also URL Bugzilla does not take.
            112 => Error::invalid("see_also", format!("{said} (Bugzilla code 112)")),
            // flag_update_denied: the flag type's grant or request group leaves this account out.
            130 => Error::Forbidden(format!(
                "this account may not set that flag (Bugzilla code 130): {said} Its flag type limits \
                 who may grant or request it."
            )),
            // flag_type_requestee_disabled: that flag type takes no requestee.
            131 => Error::invalid("flags", format!("{said} (Bugzilla code 131)")),
            // flag_not_unique: a type name that matches several flags of the bug.
            132 => Error::invalid(
                "flags",
                format!("{said} (Bugzilla code 132); get (bugzilla_bug_read) shows each flag's id"),
            ),
            111 => Error::Forbidden(format!(
                "{subject} is not visible to this account (Bugzilla code {code}): {said}"
            )),
            106 => Error::Forbidden(format!(
                "this account cannot file bugs in that product, or it does not exist (Bugzilla \
                 code 106). bugzilla_list_products lists the products it can use.{anon_hint}"
            )),
            115..=117 => Error::Forbidden(format!(
                "this account may not make that change (Bugzilla code {code}): {said}"
            )),
            50 => match required_field(&raw) {
                Some(field) => Error::invalid(
                    field,
                    format!(
                        "{field} is required on this instance (Bugzilla code 50: {said}). \
                         bugzilla_get_field_values or bugzilla_get_product list the legal values"
                    ),
                ),
                None => Error::invalid(
                    "arguments",
                    format!("a required value is missing (Bugzilla code 50): {said}"),
                ),
            },
            107 => Error::invalid("summary", "a summary is required (Bugzilla code 107)"),
            51 => Error::invalid(unknown_arg(&raw), format!("{said} (Bugzilla code 51)")),
            121 => Error::invalid(
                "resolution",
                format!(
                    "closing a bug needs a resolution (Bugzilla code 121: {said}); \
                     bugzilla_get_field_values lists them"
                ),
            ),
            122 => Error::invalid(
                "resolution",
                "a resolution can only be set together with a closed status such as RESOLVED \
                 (Bugzilla code 122)",
            ),
            118..=120 => Error::invalid("dupe_of", format!("{said} (Bugzilla code {code})")),
            123 => Error::invalid(
                "status",
                format!("{said} (Bugzilla code 123); bugzilla_get_field_values shows the workflow"),
            ),
            54..=58 | 600..=699 => Error::invalid("arguments", format!("{said} (Bugzilla code {code})")),
            32614 => Error::NotFound(format!(
                "this Bugzilla has no REST resource for {subject} (code 32614); it may be an older \
                 version"
            )),
            32000 | 32600..=32613 => Error::Rejected {
                tracker: TRACKER,
                status: response.status,
                message: format!("{said} (code {code})"),
            },
            _ => response.status_error(TRACKER, subject, Some(&format!("{raw} (code {code})"))),
        }
    }
}

pub(in crate::bugzilla) fn error_code(response: &Response) -> Option<i64> {
    serde_json::from_slice::<ErrorBody>(&response.body).ok().and_then(|b| b.code())
}

/// The message for a refused status change.
#[must_use]
pub fn transition_error(from: &str, to: &str, allowed: &[(String, bool)]) -> Error {
    let list = if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed
            .iter()
            .map(|(name, comment)| if *comment { format!("{name} (needs a comment)") } else { name.clone() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Error::invalid(
        "status",
        format!(
            "{} -> {} is not allowed; allowed from {}: {list}",
            sanitize(from),
            sanitize(to),
            sanitize(from)
        ),
    )
}

/// "bug 7" from "…access bug #7." or "Bug #99999 does not exist."; else the subject.
fn bug_in(message: &str, subject: &str) -> String {
    number_after(message, "bug #")
        .or_else(|| number_after(message, "Bug #"))
        .map_or_else(|| subject.to_owned(), |n| format!("bug {n}"))
}

fn number_after(message: &str, marker: &str) -> Option<u64> {
    let at = message.find(marker)? + marker.len();
    let digits: String = message[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Code 50's "You must select/enter a OS." names a field by its label.
fn required_field(message: &str) -> Option<&'static str> {
    let label = message.split("select/enter a ").nth(1)?.trim_end_matches('.').trim().to_ascii_lowercase();
    Some(match label.as_str() {
        "os" | "os/version" | "operating system" => "op_sys",
        "hardware" | "platform" => "platform",
        "version" => "version",
        "component" => "component",
        "product" => "product",
        "summary" => "summary",
        "severity" => "severity",
        "priority" => "priority",
        _ => return None,
    })
}

/// Which argument a code-51 "There is no X named 'Y'" is about.
fn unknown_arg(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    let kind = lower.split("there is no ").nth(1).and_then(|r| r.split(" named").next()).unwrap_or("");
    match kind {
        "component" => "component",
        "version" => "version",
        "milestone" => "target_milestone",
        "severity" => "severity",
        "priority" => "priority",
        "status" => "status",
        "resolution" => "resolution",
        "keyword" => "keywords",
        "flagtype" => "flags",
        "user" => "user",
        "product" => "product",
        "field" => "field",
        _ => "arguments",
    }
}

/// `There is no component named 'Nope' in the 'Alpha' product.` → (component, Nope, Alpha).
pub(in crate::bugzilla) fn parse_no_such_in_product(message: &str) -> Option<(String, String, String)> {
    let rest = message.strip_prefix("There is no ")?;
    let (kind, rest) = rest.split_once(" named '")?;
    let (name, rest) = rest.split_once("' in the '")?;
    let (product, _) = rest.split_once("' product")?;
    Some((kind.to_ascii_lowercase(), name.to_owned(), product.to_owned()))
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::config::{BugzillaConfig, HttpSettings, KeyMode};

    #[test]
    fn messages_are_parsed() {
        assert_eq!(required_field("You must select/enter a OS."), Some("op_sys"));
        assert_eq!(required_field("You must select/enter a Hardware."), Some("platform"));
        assert_eq!(required_field("You must select/enter a version."), Some("version"));
        assert_eq!(unknown_arg("There is no Severity named 'huge'."), "severity");
        assert_eq!(unknown_arg("There is no user named 'x'. Either…"), "user");
        assert_eq!(
            parse_no_such_in_product("There is no component named 'Nope' in the 'Alpha' product."),
            Some(("component".into(), "Nope".into(), "Alpha".into()))
        );
        assert_eq!(bug_in("You are not authorized to access bug #7.", "x"), "bug 7");
        assert_eq!(bug_in("Bug #99999 does not exist.", "x"), "bug 99999");
        let e = transition_error(
            "RESOLVED",
            "IN_PROGRESS",
            &[("UNCONFIRMED".into(), false), ("VERIFIED".into(), true)],
        );
        assert!(e.to_string().contains("RESOLVED -> IN_PROGRESS is not allowed; allowed from RESOLVED: UNCONFIRMED, VERIFIED (needs a comment)"));
    }

    fn api(anonymous: bool) -> BugzillaApi {
        let config = BugzillaConfig {
            url: Url::parse("https://bz.test").expect("url"),
            api_key: (!anonymous).then(|| secrecy::SecretString::from("k".repeat(40))),
            key_mode: KeyMode::Auto,
            login: None,
        };
        BugzillaApi::new(&config, &HttpSettings::default()).expect("api")
    }

    fn answer(status: u16, code: Value, message: &str) -> Response {
        Response {
            status,
            body: serde_json::to_vec(&serde_json::json!({"error": true, "code": code, "message": message}))
                .expect("json"),
            retry_after: None,
            headers: reqwest::header::HeaderMap::new(),
        }
    }

    /// Every code the upstream README records, as 5.2 (number) and 5.3.3 (string) send it.
    #[test]
    fn every_recorded_code_has_an_actionable_message() {
        let cases: &[(u16, i64, &str, &str)] = &[
            (404, 101, "Bug #99999 does not exist.", "bug 99999 does not exist"),
            (400, 100, "Invalid Bug Alias", "no bug has this id or alias"),
            (401, 102, "You are not authorized to access bug #7.", "bug 7 is not visible to this account"),
            (401, 110, "Comment id 4 is private.", "comment 4 is private"),
            (
                401,
                106,
                "Sorry, either the product Secret does not exist or you aren't authorized",
                "cannot file bugs in that product",
            ),
            (400, 50, "You must select/enter a OS.", "op_sys is required on this instance"),
            (400, 50, "You must select/enter a version.", "version is required on this instance"),
            (400, 107, "You must enter a summary for this bug.", "a summary is required"),
            (404, 51, "There is no Severity named 'huge'.", "invalid argument `severity`"),
            (
                400,
                123,
                "You are not allowed to change the bug status from RESOLVED to IN_PROGRESS.",
                "invalid argument `status`",
            ),
            (400, 121, "A valid resolution is required", "needs a resolution"),
            (400, 306, "The API key you specified is invalid.", "API key is invalid (code 306)"),
            (401, 410, "You must log in before using this part of Bugzilla.", "the API key was not accepted"),
            (401, 505, "Logged-out users cannot use the \"match\" argument", "ignores X-BUGZILLA-API-KEY"),
            (404, 32614, "A REST API resource was not found for 'GET /whoami'", "no REST resource"),
            (400, 32000, "Could not parse JSON", "refused the request (HTTP 400)"),
            (401, 300, "The username or password you entered is not valid.", "refused the login"),
            (
                401,
                304,
                "Sorry, you are not authorized to access attachment #5.",
                "bug 7 is not visible to this account (Bugzilla code 304",
            ),
        ];
        let client = api(false);
        for (status, code, message, expected) in cases {
            for code in [serde_json::json!(code), serde_json::json!(code.to_string())] {
                let text = client.map_error(&answer(*status, code.clone(), message), "bug 7").to_string();
                assert!(text.contains(expected), "{code}: {text}");
            }
        }
        let anonymous = api(true);
        let text = anonymous.map_error(&answer(401, serde_json::json!(410), "log in"), "x").to_string();
        assert!(text.contains("BUGZILLA_ANONYMOUS=true"), "{text}");
        let text = anonymous.map_error(&answer(401, serde_json::json!(505), "match"), "x").to_string();
        assert!(text.contains("only logged-in accounts"), "{text}");
    }

    #[test]
    fn error_codes_are_numbers_or_strings() {
        let a: ErrorBody = serde_json::from_str(r#"{"code":306}"#).expect("json");
        let b: ErrorBody = serde_json::from_str(r#"{"code":"306"}"#).expect("json");
        assert_eq!(a.code(), Some(306));
        assert_eq!(b.code(), Some(306));
    }
}
