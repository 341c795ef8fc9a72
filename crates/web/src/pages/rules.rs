//! The rule book's pages: every rule set of the data files with its title, documents,
//! effective dates and confidence, and each item with its source (`/rules/{set}@{version}`,
//! the item as the fragment). Rules are public policy: anyone may read them; a signed-in user
//! reads them inside the application's frame, anyone else inside the portal's.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use anbiao_domain::rule_book::{self, RuleBook, RuleSet};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, HtmlError};
use crate::pages::Layout;

/// A rule reference as users read it: its words, the page that shows it and whether it is
/// still to be checked. Built by [`cite`]; `link` is empty for a reference the book does not
/// hold (shown as recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub words: String,
    pub link: String,
    /// The identifier as recorded (exports and the API keep it).
    pub code: String,
}

/// The words and link of a rule reference; empty words for none.
pub fn cite(book: &RuleBook, reference: &str) -> RuleRef {
    match book.cite(reference) {
        Some(c) => RuleRef {
            words: c.words(),
            link: c.link(),
            code: reference.trim().to_string(),
        },
        None => RuleRef {
            words: reference.trim().to_string(),
            link: String::new(),
            code: reference.trim().to_string(),
        },
    }
}

pub struct SetView {
    pub key: String,
    pub title: String,
    pub document: String,
    pub source: String,
    pub period: String,
    pub current: bool,
    pub confidence: String,
    pub to_be_checked: bool,
    pub items: Vec<ItemView>,
}

pub struct ItemView {
    pub anchor: String,
    pub name: String,
    pub source: String,
    pub confidence: String,
    pub to_be_checked: bool,
}

fn period(s: &RuleSet) -> String {
    match (&s.effective_from, &s.effective_to) {
        (Some(f), Some(t)) => format!("{f} 起施行，{t} 起停止适用"),
        (Some(f), None) => format!("{f} 起施行，现行有效"),
        (None, Some(t)) => format!("{t} 起停止适用"),
        (None, None) => "施行日期未载明".into(),
    }
}

fn view(s: &RuleSet, today: &str) -> SetView {
    let conf = s.confidence.clone().unwrap_or_default();
    SetView {
        key: s.key.clone(),
        title: s.title.clone(),
        document: s.document.clone().unwrap_or_default(),
        source: s.source.clone().unwrap_or_default(),
        period: period(s),
        current: s.effective_from.as_deref().is_none_or(|f| f <= today)
            && s.effective_to.as_deref().is_none_or(|t| t > today),
        confidence: if conf.is_empty() {
            String::new()
        } else {
            rule_book::confidence_words(&conf)
        },
        to_be_checked: rule_book::to_be_checked(&conf),
        items: s
            .items
            .iter()
            .map(|i| {
                let c = i.confidence.clone().unwrap_or_default();
                ItemView {
                    anchor: i.anchor.clone(),
                    name: i.name.clone().unwrap_or_default(),
                    source: i.source.clone().unwrap_or_default(),
                    confidence: if c.is_empty() {
                        String::new()
                    } else {
                        rule_book::confidence_words(&c)
                    },
                    to_be_checked: rule_book::to_be_checked(&c),
                }
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "rules/index.html")]
struct IndexPage {
    layout: Layout,
    sets: Vec<SetView>,
}

#[derive(Template)]
#[template(path = "rules/index_public.html")]
struct PublicIndexPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    sets: Vec<SetView>,
}

#[derive(Template)]
#[template(path = "rules/set.html")]
struct SetPage {
    layout: Layout,
    set: SetView,
}

#[derive(Template)]
#[template(path = "rules/set_public.html")]
struct PublicSetPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    set: SetView,
}

fn today(state: &AppState) -> String {
    anbiao_domain::date::format_date(state.today())
}

/// `GET /rules`
pub async fn index(
    State(state): State<AppState>,
    u: Option<CurrentUser>,
) -> Result<Html<String>, HtmlError> {
    let day = today(&state);
    let sets = state
        .reference
        .rule_book
        .sets
        .iter()
        .map(|s| view(s, &day))
        .collect();
    Ok(Html(match u {
        Some(u) => IndexPage {
            layout: Layout::new(&u, &state, "rules"),
            sets,
        }
        .render()?,
        None => PublicIndexPage {
            nav: "rules",
            site: crate::pages::portal::Site::of(&state),
            sets,
        }
        .render()?,
    }))
}

/// `GET /rules/{key}`: one set; 404 for a key the book does not hold.
pub async fn set(
    State(state): State<AppState>,
    u: Option<CurrentUser>,
    Path(key): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let s = state
        .reference
        .rule_book
        .set(&key)
        .ok_or(AppError::NotFound)?;
    let set = view(s, &today(&state));
    Ok(Html(match u {
        Some(u) => SetPage {
            layout: Layout::new(&u, &state, "rules"),
            set,
        }
        .render()?,
        None => PublicSetPage {
            nav: "rules",
            site: crate::pages::portal::Site::of(&state),
            set,
        }
        .render()?,
    }))
}

/// The rule book for templates: `{% let r = book.cite(code) %}{% include "_rule.html" %}`.
#[derive(Clone)]
pub struct Book(pub std::sync::Arc<anbiao_domain::ReferenceData>);

impl Book {
    pub fn of(state: &AppState) -> Self {
        Self(state.reference.clone())
    }

    pub fn cite(&self, reference: &str) -> RuleRef {
        cite(&self.0.rule_book, reference)
    }

    /// A recorded text with every rule reference in it (`依据 grading.2014@1#validity`) put in
    /// words; the rest as it is.
    pub fn in_words(&self, text: &str) -> String {
        let is_ref = |c: char| c.is_ascii_alphanumeric() || "._@#-".contains(c);
        let mut out = String::with_capacity(text.len());
        let mut token = String::new();
        let flush = |token: &mut String, out: &mut String| {
            if token.contains('@')
                && let Some(c) = self.0.rule_book.cite(token)
            {
                out.push_str(&c.words());
            } else {
                out.push_str(token);
            }
            token.clear();
        };
        for ch in text.chars() {
            if is_ref(ch) {
                token.push(ch);
            } else {
                flush(&mut token, &mut out);
                out.push(ch);
            }
        }
        flush(&mut token, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_references_in_a_recorded_text_read_in_words() {
        let book = Book(std::sync::Arc::new(
            anbiao_domain::ReferenceData::embedded().expect("reference"),
        ));
        let text = book.in_words("证书到期，依据 grading.2021@1#validity；编号 JX-12 不变");
        assert!(!text.contains("grading.2021@1"), "{text}");
        assert!(
            text.contains("《") && text.ends_with("；编号 JX-12 不变"),
            "{text}"
        );
    }
}
