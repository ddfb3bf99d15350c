//! CI, flavour-neutral: what a pull request's, branch's or commit's CI says (Cloud Pipelines
//! runs and steps; Data Center build statuses and Code Insights reports), a failing step's log
//! or a report's annotations, and how both are rendered. Built so that "why did CI fail on
//! pull request N?" takes two calls: the overview names the failing step or report and the
//! exact `run` that shows why.

use std::fmt::Write as _;

use crate::render::{label_line, untrusted, when};

/// Characters of a log shown per call, from the end (the failure is at the end).
pub const LOG_TAIL: usize = 12_000;
/// Annotations shown per report.
pub const ANNOTATIONS: usize = 50;
/// Failed test cases named.
pub const FAILED_TESTS: usize = 20;

/// What CI is asked about.
#[derive(Debug, Clone, Copy)]
pub enum CiTarget<'a> {
    PullRequest(u64),
    Branch(&'a str),
    Commit(&'a str),
    /// A Cloud pipeline (`{uuid}`).
    Run(&'a str),
}

/// One run, step, build or report.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// What `ref=run:` takes to look closer ("" when nothing more can be read here).
    pub id: String,
    pub name: String,
    /// e.g. FAILED, SUCCESSFUL, IN_PROGRESS, FAIL, PASS.
    pub state: String,
    pub when: String,
    /// Extra facts on one line (branch, duration, a description, a link).
    pub detail: String,
    pub failed: bool,
}

/// The CI of one commit (or one run).
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// "pull request #5 (commit abc1234)".
    pub subject: String,
    /// Cloud: runs, newest first; Data Center: build statuses.
    pub runs: Vec<Check>,
    /// Cloud: the run looked at closer and its steps.
    pub steps_of: Option<(Check, Vec<Check>)>,
    /// Data Center: Code Insights reports.
    pub reports: Vec<Check>,
    pub note: Option<String>,
}

impl Overview {
    /// The `run` to read first: the failing step (Cloud) or report (Data Center).
    #[must_use]
    pub fn failing(&self) -> Option<&Check> {
        let steps = self.steps_of.iter().flat_map(|(_, steps)| steps.iter());
        steps.chain(self.reports.iter()).find(|c| c.failed && !c.id.is_empty())
    }
}

/// A step's log (tail first) or a report's annotations, with failed tests where reported.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub title: String,
    /// Cleaned text: terminal escapes and control characters removed.
    pub text: String,
    /// Characters already read from the end (the cursor of this call).
    pub from_end: usize,
    pub tests: Option<String>,
}

/// Terminal output as plain text: ANSI CSI and OSC sequences and other escapes removed, a line
/// rewritten with carriage returns kept as it ended, other control characters dropped (tabs and
/// newlines stay).
#[must_use]
pub fn plain_log(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut line = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in @..~.
                Some('[') => {
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                // OSC (and DCS, SOS, PM, APC): up to BEL or ST (ESC \).
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(n) = chars.next() {
                        if n == '\u{7}' {
                            break;
                        }
                        if n == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                // A two-character escape (ESC c, ESC ( B ...): drop the next one too.
                Some('(' | ')' | '*' | '+') => {
                    chars.next();
                }
                _ => {}
            },
            '\n' => {
                out.push_str(line.trim_end());
                out.push('\n');
                line.clear();
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    continue;
                }
                // A progress line rewritten in place: keep what follows.
                line.clear();
            }
            '\t' => line.push('\t'),
            c if c.is_control() => {}
            c => line.push(c),
        }
    }
    out.push_str(line.trim_end());
    out
}

/// One line of a check.
fn check_line(c: &Check) -> String {
    let mut line = format!("{} {}", c.state, label_line(&c.name));
    if !c.when.is_empty() {
        let _ = write!(line, "; {}", when(&c.when));
    }
    if !c.detail.is_empty() {
        let _ = write!(line, "; {}", label_line(&c.detail));
    }
    if !c.id.is_empty() {
        let _ = write!(line, " (ref=run:{})", c.id);
    }
    line
}

#[must_use]
pub fn overview(o: &Overview) -> String {
    let mut out = format!("CI of {}:", o.subject);
    if o.runs.is_empty() && o.reports.is_empty() && o.steps_of.is_none() {
        out.push_str(" nothing reported.");
    }
    if let Some((run, steps)) = &o.steps_of {
        let which = if o.runs.is_empty() { "run" } else { "newest run" };
        let _ = write!(out, "\n{which}: {}; steps:", check_line(run));
        for c in steps {
            let _ = write!(out, "\n- {}", check_line(c));
        }
        if steps.is_empty() {
            out.push_str(" none yet");
        }
    }
    if !o.runs.is_empty() {
        out.push_str(if o.steps_of.is_some() { "\nolder runs:" } else { "\nbuilds:" });
        for c in &o.runs {
            let _ = write!(out, "\n- {}", check_line(c));
        }
    }
    if !o.reports.is_empty() {
        out.push_str("\nCode Insights reports:");
        for c in &o.reports {
            let _ = write!(out, "\n- {}", check_line(c));
        }
    }
    if let Some(note) = &o.note {
        let _ = write!(out, "\n[{note}]");
    }
    match o.failing() {
        Some(f) => {
            let _ =
                write!(out, "\nFailing: {}. Why: call ci again with ref=run:{}", label_line(&f.name), f.id);
        }
        None if o.runs.iter().any(|r| r.failed) => {
            out.push_str("\nA build failed; its details are on the CI server (the link above).");
        }
        None => {}
    }
    out
}

/// A log, tail first: the last [`LOG_TAIL`] characters before `from_end`, and the cursor that
/// reads the part before them.
#[must_use]
pub fn detail(d: &Detail) -> String {
    let chars: Vec<char> = d.text.chars().collect();
    let total = chars.len();
    let end = total.saturating_sub(d.from_end);
    let start = end.saturating_sub(LOG_TAIL);
    let shown: String = chars[start..end].iter().collect();
    let mut out = String::new();
    if let Some(tests) = &d.tests {
        let _ = writeln!(out, "{tests}");
    }
    let body = if shown.trim().is_empty() { "(empty)".to_owned() } else { shown };
    let _ = write!(out, "{}", untrusted(&d.title, &body));
    if start > 0 {
        let _ = write!(
            out,
            "\n[… log cut: characters {}–{end} of {total} shown ({LOG_TAIL} per call, tail first); earlier part: next: cursor={}]",
            start + 1,
            total - start
        );
    } else if d.from_end > 0 {
        let _ = write!(out, "\n[start of the log: characters 1–{end} of {total}]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_controls_are_stripped() {
        let raw = "\u{1b}[32mok\u{1b}[0m step\r\n\u{1b}]0;title\u{7}50%\r100%\nbell\u{7} \u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\\n\u{1b}(Bdone\u{0}";
        assert_eq!(plain_log(raw), "ok step\n100%\nbell link\ndone");
    }

    #[test]
    fn a_long_log_is_cut_from_the_end_and_says_how_to_read_on() {
        let text: String = (0..3000).map(|n| format!("line {n}\n")).collect();
        let total = text.chars().count();
        let d = Detail { title: "log".into(), text, from_end: 0, tests: None };
        let out = detail(&d);
        assert!(out.contains("line 2999") && !out.contains("line 10\n"), "{out}");
        let cursor = format!("cursor={LOG_TAIL}]");
        assert!(out.ends_with(&cursor), "{out}");
        assert!(out.contains(&format!("of {total} shown ({LOG_TAIL} per call")), "{out}");
        let earlier = detail(&Detail { from_end: LOG_TAIL, ..d });
        assert!(!earlier.contains("line 2999"), "{earlier}");
    }
}
