//! Integration tokens, which never show.
//!
//! A [`NotionToken`] holds an integration token in a [`secrecy::SecretString`]: its `Debug` prints
//! `NotionToken([REDACTED])`, it has no `Display` and no `Serialize`, and the value is wiped from
//! memory when dropped. The only way to the value is [`NotionToken::expose`], which only the code
//! that builds the `Authorization` header calls. Tokens therefore cannot reach a log line, an error
//! message, a report, a plan or a file by accident.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Why a token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Nothing left once whitespace and quotes are removed.
    #[error("the token is empty")]
    Empty,
    /// The named environment variable is not set (or not Unicode).
    #[error("the environment variable {name} is not set")]
    MissingEnv {
        /// The variable's name.
        name: String,
    },
    /// Whitespace or control characters inside the token.
    #[error("the token contains whitespace or control characters")]
    Malformed,
    /// The named environment variable is set, but what it holds is not a token.
    #[error("the environment variable {name} holds no usable token: {problem}")]
    BadEnv {
        /// The variable's name.
        name: String,
        /// What is wrong with its value ([`Empty`](Self::Empty) or [`Malformed`](Self::Malformed)).
        problem: Box<TokenError>,
    },
}

/// A Notion integration token (`ntn_…` or the older `secret_…`).
#[derive(Clone)]
pub struct NotionToken(SecretString);

impl NotionToken {
    /// A token from its text, with stray surrounding whitespace and quotes removed (as they come
    /// when a token is pasted into a Notion cell or a shell), and invisible characters removed
    /// wherever they are (a zero-width space or joiner, a byte-order mark, a soft hyphen, a word
    /// joiner: [`is_invisible`]), which no token holds and which a copy from a web page brings.
    pub fn new(text: &str) -> Result<Self, TokenError> {
        let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
        let trimmed = visible
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == '`')
            .trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::Malformed);
        }
        Ok(Self(SecretString::from(trimmed.to_owned())))
    }

    /// The token held by the environment variable `name`. An error names the variable (a name
    /// shaped like a token, a token typed where a name belongs, is named with its secret part
    /// hidden: [`mask_secrets`]).
    pub fn from_env(name: &str) -> Result<Self, TokenError> {
        let named = || mask_secrets(name);
        let value = std::env::var(name).map_err(|_| TokenError::MissingEnv { name: named() })?;
        Self::new(&value).map_err(|problem| TokenError::BadEnv {
            name: named(),
            problem: Box::new(problem),
        })
    }

    /// Whether the text had to be cleaned (surrounding whitespace or quotes, invisible
    /// characters) to be read.
    pub fn needed_cleaning(text: &str) -> bool {
        Self::new(text).is_ok_and(|token| token.expose() != text)
    }

    /// The token's value. Call this only to build the `Authorization` header of a request.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// `text` with whatever looks like a secret hidden, for echoing what a person typed: each word
/// shaped like a token (`ntn_…`, `secret_…`) keeps its prefix and loses the rest, and the
/// credentials of a URL (`https://user:password@host`) are dropped.
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let next_token = ["ntn_", "secret_"]
            .iter()
            .filter_map(|prefix| rest.find(prefix).map(|at| (at, *prefix)))
            .min();
        let next_credentials = rest.find("://").and_then(|scheme| {
            let authority = &rest[scheme + 3..];
            let end = authority.find(['/', '?', '#']).unwrap_or(authority.len());
            authority[..end].rfind('@').map(|at| (scheme + 3, at))
        });
        match (next_token, next_credentials) {
            (Some((at, prefix)), credentials)
                if credentials.is_none_or(|(start, _)| at < start) =>
            {
                let after = &rest[at + prefix.len()..];
                let len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(after.len());
                out.push_str(&rest[..at]);
                out.push_str(prefix);
                out.push('…');
                rest = &after[len..];
            }
            (_, Some((start, at))) => {
                out.push_str(&rest[..start]);
                out.push('…');
                rest = &rest[start + at..];
            }
            _ => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// Whether `c` is an invisible character that a token never holds: a zero-width space, non-joiner
/// or joiner, a word joiner, a byte-order mark (zero-width no-break space) or a soft hyphen.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

impl fmt::Debug for NotionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotionToken([REDACTED])")
    }
}

impl PartialEq for NotionToken {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for NotionToken {}

impl std::hash::Hash for NotionToken {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.expose().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_env_names_the_variable_and_never_echoes_a_token_typed_as_one() {
        let error = NotionToken::from_env("ntn_5upersecret0123456789").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("ntn_"), "{message}");
        assert!(!message.contains("5upersecret"), "{message}");
        let error = NotionToken::from_env("NOTION_XWS_TEST_SURELY_UNSET").unwrap_err();
        assert!(error.to_string().contains("NOTION_XWS_TEST_SURELY_UNSET"));
    }

    #[test]
    fn debug_never_shows_the_value() {
        let token = NotionToken::new("ntn_canary_0123456789").unwrap();
        assert_eq!(format!("{token:?}"), "NotionToken([REDACTED])");
        assert_eq!(
            format!("{:?}", Some(&token)),
            "Some(NotionToken([REDACTED]))"
        );
    }

    #[test]
    fn stray_whitespace_and_quotes_are_removed() {
        let token = NotionToken::new("  \"ntn_abc\"\n").unwrap();
        assert_eq!(token.expose(), "ntn_abc");
        assert!(NotionToken::needed_cleaning(" ntn_abc"));
        assert!(!NotionToken::needed_cleaning("ntn_abc"));
        assert_eq!(NotionToken::new(" '' "), Err(TokenError::Empty));
        assert_eq!(NotionToken::new("ntn_a b"), Err(TokenError::Malformed));
    }

    #[test]
    fn invisible_characters_are_removed_wherever_they_are() {
        for text in [
            "\u{feff}ntn_abc",
            "ntn_abc\u{200b}",
            "ntn_\u{200d}abc",
            "ntn_a\u{00ad}bc",
            " \u{2060}\"ntn_abc\u{200c}\" ",
        ] {
            assert_eq!(
                NotionToken::new(text).unwrap().expose(),
                "ntn_abc",
                "{text:?}"
            );
            assert!(NotionToken::needed_cleaning(text), "{text:?}");
        }
        assert_eq!(NotionToken::new("\u{200b}\u{feff}"), Err(TokenError::Empty));
    }

    #[test]
    fn what_looks_like_a_secret_is_hidden() {
        assert_eq!(
            mask_secrets("ntn_5Abc-9 and secret_XyZ, done"),
            "ntn_… and secret_…, done"
        );
        assert_eq!(
            mask_secrets("https://me:pa55@api.notion.com/v1?x=ntn_q"),
            "https://…@api.notion.com/v1?x=ntn_…"
        );
        assert_eq!(
            mask_secrets("no secret here: a@b.c"),
            "no secret here: a@b.c"
        );
        assert_eq!(mask_secrets(""), "");
    }

    #[test]
    fn missing_env_names_the_variable() {
        let err = NotionToken::from_env("NOTION_XWS_TEST_SURELY_UNSET").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the environment variable NOTION_XWS_TEST_SURELY_UNSET is not set"
        );
    }
}
