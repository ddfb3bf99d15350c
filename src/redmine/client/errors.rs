//! Redmine's answers mapped to errors the model can act on: 401/403/404 come with empty
//! bodies; only 422 carries `{"errors": [...]}`, with hints for the messages we know.

use super::*;
use crate::redmine::models::ValidationErrors;

/// Map Redmine's answer to an error the model can act on. 401/403/404 have empty bodies;
/// only 422 carries `{"errors": [...]}`.
pub(super) fn error_for(response: &Response, subject: Subject<'_>, anonymous: bool) -> Error {
    let what = subject.what;
    match response.status {
        401 => Error::Unauthorized(if anonymous {
            "Redmine requires a login for this (HTTP 401): set REDMINE_API_KEY (My account > API access key)"
                .into()
        } else {
            "Redmine refused the API key (HTTP 401): it is wrong or revoked, or the REST API is \
             disabled (Administration > Settings > API). Check REDMINE_API_KEY with `tracker-mcp check`"
                .into()
        }),
        403 if subject.action.is_some() => Error::Forbidden(format!(
            "this API key may not {} {what} (HTTP 403): the user's role lacks the permission, or \
             {what} is not visible to it",
            subject.action.unwrap_or("change")
        )),
        403 => Error::Forbidden(format!(
            "{what} is not visible to this API key (HTTP 403): it is private, or the user is not a \
             member with the needed permission. Use an account that can see it"
        )),
        404 => Error::NotFound(format!(
            "{what} does not exist, or is not visible to this API key (HTTP 404); check the id or name"
        )),
        409 => Error::Rejected {
            tracker: TRACKER,
            status: 409,
            message: format!("{what} was changed by someone else meanwhile; read it again and retry"),
        },
        422 => {
            let errors: Vec<String> = response
                .json::<ValidationErrors>(TRACKER)
                .map(|answer| answer.errors)
                .unwrap_or_default()
                .iter()
                .take(MAX_ERRORS + 1)
                .map(|e| crate::error::sanitize(e))
                .collect();
            let mut message = if errors.is_empty() {
                "the values were not accepted".to_owned()
            } else {
                let shown = errors[..errors.len().min(MAX_ERRORS)].join("; ");
                if errors.len() > MAX_ERRORS { format!("{shown}; and more") } else { shown }
            };
            let hints = hints_for(&errors);
            if !hints.is_empty() {
                message.push_str(". ");
                message.push_str(&hints.join(" "));
            }
            Error::Rejected { tracker: TRACKER, status: 422, message }
        }
        _ => response.status_error(TRACKER, what, None),
    }
}

/// Validation messages shown from one 422 (each cut to 300 characters): a form has a handful;
/// an answer with thousands is not Redmine's and must not become a megabyte of error text.
const MAX_ERRORS: usize = 10;

/// What to do about Redmine's validation messages.
fn hints_for(errors: &[String]) -> Vec<&'static str> {
    let mut hints = Vec::new();
    for e in errors {
        let hint = if e.starts_with("Project cannot be blank") || e.starts_with("Project is invalid") {
            "The project does not exist or is not visible to this API key, or the user may not add \
             issues or time there (redmine_list_projects lists the visible ones)."
        } else if e.starts_with("Tracker") {
            "The tracker is not enabled in this project (redmine_get_project lists its trackers)."
        } else if e.starts_with("Assignee") || e.starts_with("Assigned") {
            "The assignee must be a project member whose role can be assigned issues (see members in redmine_get_project)."
        } else if e.starts_with("Activity") {
            "Give `activity` by name or id (redmine_list_enumerations lists time-entry activities)."
        } else if e.starts_with("Issue is invalid") || e.starts_with("Issue cannot be blank") {
            "The issue does not exist or is not visible to this API key."
        } else if e.starts_with("Target version") {
            "The version must be open and shared with this project (redmine_list_versions)."
        } else if e.starts_with("Parent task") {
            "The parent must be a visible issue of a compatible project, and not a descendant."
        } else if e.starts_with("Related issue") && e.contains("already been taken") {
            "The two issues are already related (redmine_get_issue lists relations)."
        } else if e.starts_with("Related issue") {
            "The related issue does not exist, is not visible, or the relation would be circular."
        } else {
            continue;
        };
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    hints
}
