//! The one Notion link parser.
//!
//! A Notion link names up to four things, and the script this project replaces confused them by
//! taking "the first 32 hex characters" it found. This module reads each part for what it is:
//!
//! | part of the link | what it names | field |
//! |---|---|---|
//! | the ID at the end of the path | a page or a database (a link cannot tell which) | [`NotionLink::id`] |
//! | `?v=` | a view of that database, never the database | [`NotionLink::view_id`] |
//! | `?p=` | a row opened in peek, never the database | [`NotionLink::peek_id`] |
//! | `#block-…` or `#…` | a block inside the page | [`NotionLink::block_id`] |
//!
//! Accepted hosts are `notion.so`, `www.notion.so`, `app.notion.com` (the API's `url` field, with
//! its `/p/…` paths), `notion.site` and any `*.notion.site`, with the `https`, `http` and `notion`
//! schemes; a link pasted without its scheme is read as `https`. A bare ID (32 hex digits or the
//! dashed form) is accepted as well. Anything else is a [`LinkError`] that says what is wrong:
//! the parser never guesses. Links hold database IDs, never data-source IDs: turning a database
//! into its data source is a question for the API.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::ids::{BlockId, IdError, ObjectId, PageId, ViewId};

/// What a Notion link (or a bare ID) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NotionLink {
    /// The object of the path: a page or a database. For a peek link (`?p=`), the database.
    pub id: ObjectId,
    /// The view of the database (`?v=`), when the link has one.
    pub view_id: Option<ViewId>,
    /// The row opened in peek (`?p=`), when the link has one and its path names the database.
    pub peek_id: Option<PageId>,
    /// The block anchor (`#block-…` or `#…`), when the link has one.
    pub block_id: Option<BlockId>,
}

/// Why a piece of text is not a Notion link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The text is empty or only whitespace.
    #[error("the link is empty")]
    Empty,
    /// Not a URL, and not a bare ID either.
    #[error("{text:?} is neither a Notion link nor an ID: {reason}")]
    NotALink {
        /// The text, shortened to 80 characters.
        text: String,
        /// Why it could not be read as an ID.
        reason: IdError,
    },
    /// A URL whose scheme is not `https`, `http` or `notion`.
    #[error("{scheme:?} is not a scheme of Notion links (https, http or notion)")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// A URL of another site.
    #[error(
        "{host:?} is not a Notion host (notion.so, www.notion.so, app.notion.com or *.notion.site)"
    )]
    NotNotionHost {
        /// The host found.
        host: String,
    },
    /// A Notion URL whose path ends without an ID (a custom `notion.site` slug, a workspace home).
    #[error("the link has no page or database ID at the end of its path ({path:?})")]
    NoId {
        /// The path found.
        path: String,
    },
    /// The path ends with something that looks like an ID but is not one.
    #[error("the ID at the end of the path is malformed ({0})")]
    BadPathId(IdError),
    /// A `v=` that is not a view ID.
    #[error("the view (v=) of the link is malformed ({0})")]
    BadViewId(IdError),
    /// A `p=` that is not a page ID.
    #[error("the peeked row (p=) of the link is malformed ({0})")]
    BadPeekId(IdError),
    /// A `#…` anchor that is not a block ID.
    #[error("the block anchor (#…) of the link is malformed ({0})")]
    BadBlockId(IdError),
}

/// How long a hex-only tail must be before it reads as a failed ID rather than a word of a slug.
const MIN_ID_LIKE: usize = 24;

impl NotionLink {
    /// Reads a Notion link or a bare ID.
    ///
    /// ```
    /// use notion_xws_core::NotionLink;
    ///
    /// let link = NotionLink::parse(
    ///     "https://www.notion.so/acme/Tasks-0123456789abcdef0123456789abcdef\
    ///      ?v=fedcba9876543210fedcba9876543210&p=00112233445566778899aabbccddeeff&pm=s",
    /// )?;
    /// assert_eq!(link.id.to_string(), "01234567-89ab-cdef-0123-456789abcdef"); // the database
    /// assert_eq!(link.view_id.unwrap().to_string(), "fedcba98-7654-3210-fedc-ba9876543210");
    /// assert_eq!(link.peek_id.unwrap().to_string(), "00112233-4455-6677-8899-aabbccddeeff"); // a row
    /// # Ok::<(), notion_xws_core::LinkError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LinkError::Empty);
        }
        if !text.contains('/') && !text.contains(':') {
            return ObjectId::parse(text)
                .map(Self::bare)
                .map_err(|reason| LinkError::NotALink {
                    text: shorten(text),
                    reason,
                });
        }
        let url = parse_url(text)?;
        let scheme = url.scheme();
        if !matches!(scheme, "https" | "http" | "notion") {
            return Err(LinkError::UnsupportedScheme {
                scheme: shorten(scheme),
            });
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !is_notion_host(&host) {
            return Err(LinkError::NotNotionHost {
                host: shorten(&host),
            });
        }

        let mut view_id = None;
        let mut peek = None;
        let mut named = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "v" => view_id = Some(ViewId::parse(&value).map_err(LinkError::BadViewId)?),
                "p" => peek = Some(PageId::parse(&value).map_err(LinkError::BadPeekId)?),
                "id" | "page_id" | "database_id" => {
                    named = Some(ObjectId::parse(&value).map_err(LinkError::BadPathId)?);
                }
                _ => {}
            }
        }
        let block_id = match url.fragment() {
            None | Some("") => None,
            Some(fragment) => Some(parse_anchor(fragment)?),
        };

        let path_id = path_id(url.path())?;
        let (id, peek_id) = match (path_id.or(named), peek) {
            (Some(id), peek) => (id, peek),
            // `notion.so/share?p=…`: the peeked page is the only object the link names.
            (None, Some(peek)) => (ObjectId::from(peek), None),
            (None, None) => {
                return Err(LinkError::NoId {
                    path: shorten(url.path()),
                });
            }
        };
        Ok(Self {
            id,
            view_id,
            peek_id,
            block_id,
        })
    }

    fn bare(id: ObjectId) -> Self {
        Self {
            id,
            view_id: None,
            peek_id: None,
            block_id: None,
        }
    }
}

impl std::str::FromStr for NotionLink {
    type Err = LinkError;
    fn from_str(text: &str) -> Result<Self, LinkError> {
        Self::parse(text)
    }
}

impl fmt::Display for NotionLink {
    /// The canonical `https://www.notion.so/…` form of the link.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://www.notion.so/{}", self.id.simple())?;
        let mut sep = '?';
        if let Some(view) = self.view_id {
            write!(f, "{sep}v={}", view.simple())?;
            sep = '&';
        }
        if let Some(peek) = self.peek_id {
            write!(f, "{sep}p={}", peek.simple())?;
        }
        if let Some(block) = self.block_id {
            write!(f, "#{}", block.simple())?;
        }
        Ok(())
    }
}

/// What an error quotes of the input: at most 80 characters, then `…` when there was more,
/// anything shaped like a token hidden.
fn shorten(text: &str) -> String {
    quote(text, 80)
}

/// `text` as quoted back to a person: at most `max` characters, then `…` when there was more,
/// anything shaped like a token hidden.
pub(crate) fn quote(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut quoted: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        quoted.push('…');
    }
    crate::secret::mask_secrets(&quoted)
}

fn parse_url(text: &str) -> Result<Url, LinkError> {
    let not_a_link = |reason| LinkError::NotALink {
        text: shorten(text),
        reason,
    };
    match Url::parse(text) {
        Ok(url) => Ok(url),
        // `www.notion.so/…` pasted without its scheme.
        Err(url::ParseError::RelativeUrlWithoutBase) => Url::parse(&format!("https://{text}"))
            .map_err(|_| not_a_link(ObjectId::parse(text).unwrap_err())),
        Err(_) => Err(not_a_link(
            ObjectId::parse(text).err().unwrap_or(IdError::Empty),
        )),
    }
}

fn is_notion_host(host: &str) -> bool {
    matches!(
        host,
        "notion.so" | "www.notion.so" | "app.notion.com" | "notion.site"
    ) || host
        .strip_suffix(".notion.site")
        .is_some_and(|sub| !sub.is_empty() && !sub.contains('.'))
}

/// The ID at the end of the last non-empty path segment, if the path has one.
fn path_id(path: &str) -> Result<Option<ObjectId>, LinkError> {
    let Some(segment) = path.split('/').rev().find(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let segment = percent_decode_str(segment).decode_utf8_lossy();
    tail_id(&segment).map_err(LinkError::BadPathId)
}

/// The ID that ends a `Slug-<id>` segment (or is the whole segment).
///
/// A tail that is plainly a word of the slug (`My-Page`) is "no ID"; a tail that looks like an
/// attempt at an ID (a run of hex digits nearly long enough, or 32 characters with a stray
/// letter) is an error that names the problem.
fn tail_id(segment: &str) -> Result<Option<ObjectId>, IdError> {
    // The dashed form: the last 36 characters, after a dash or at the start.
    if segment.len() >= 36 && segment.is_char_boundary(segment.len() - 36) {
        let (head, tail) = segment.split_at(segment.len() - 36);
        if (head.is_empty() || head.ends_with('-'))
            && tail.as_bytes()[8] == b'-'
            && let Ok(id) = ObjectId::parse(tail)
        {
            return Ok(Some(id));
        }
    }
    let tail = segment.rsplit('-').next().unwrap_or(segment);
    let hex = tail.chars().filter(char::is_ascii_hexdigit).count();
    let alnum = tail.chars().all(|c| c.is_ascii_alphanumeric());
    let len = tail.chars().count();
    if len == 32 && alnum {
        return ObjectId::parse(tail).map(Some);
    }
    if alnum && hex == len && len >= MIN_ID_LIKE {
        return Err(IdError::WrongLength { found: len });
    }
    Ok(None)
}

fn parse_anchor(fragment: &str) -> Result<BlockId, LinkError> {
    let anchor = fragment.strip_prefix("block-").unwrap_or(fragment);
    BlockId::parse(anchor).map_err(LinkError::BadBlockId)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "0123456789abcdef0123456789abcdef";
    const DB_DASHED: &str = "01234567-89ab-cdef-0123-456789abcdef";
    const VIEW: &str = "fedcba9876543210fedcba9876543210";
    const VIEW_DASHED: &str = "fedcba98-7654-3210-fedc-ba9876543210";
    const ROW: &str = "00112233445566778899aabbccddeeff";
    const ROW_DASHED: &str = "00112233-4455-6677-8899-aabbccddeeff";

    fn id(text: &str) -> String {
        NotionLink::parse(text).unwrap().id.to_string()
    }

    #[test]
    fn bare_ids() {
        assert_eq!(id(DB), DB_DASHED);
        assert_eq!(id(DB_DASHED), DB_DASHED);
        assert_eq!(id(&format!("  {}\t", DB.to_uppercase())), DB_DASHED);
    }

    #[test]
    fn every_host_and_scheme() {
        for link in [
            format!("https://www.notion.so/acme/Tasks-{DB}"),
            format!("https://notion.so/acme/{DB}"),
            format!("https://www.notion.so/{DB}"),
            format!("https://www.notion.so/{DB_DASHED}"),
            format!("https://app.notion.com/p/Tasks-{DB}"),
            format!("https://app.notion.com/p/{DB}"),
            format!("https://acme.notion.site/Tasks-{DB}"),
            format!("https://notion.site/Tasks-{DB}"),
            format!("notion://www.notion.so/Tasks-{DB}"),
            format!("notion://app.notion.com/Tasks-{DB}"),
            format!("http://www.notion.so/Tasks-{DB}"),
            format!("www.notion.so/acme/Tasks-{DB}"),
            format!("HTTPS://WWW.NOTION.SO/Tasks-{}", DB.to_uppercase()),
            format!("https://www.notion.so/acme/Tasks-{DB}/"),
            format!("https://www.notion.so/about-{DB_DASHED}"),
        ] {
            assert_eq!(id(&link), DB_DASHED, "{link}");
        }
    }

    #[test]
    fn slugs_in_any_script() {
        for link in [
            format!("https://www.notion.so/Caf%C3%A9-Men%C3%BC-{DB}"),
            format!("https://www.notion.so/Café-Menü-{DB}"),
            format!("https://www.notion.so/日本語のページ-{DB}"),
            format!("https://www.notion.so/Deadbeef-{DB}"),
            format!("https://www.notion.so/2026-Q1-Roadmap-{DB}"),
        ] {
            assert_eq!(id(&link), DB_DASHED, "{link}");
        }
    }

    #[test]
    fn view_peek_and_block_are_kept_apart() {
        let link = NotionLink::parse(&format!("https://www.notion.so/{DB}?v={VIEW}&p={ROW}&pm=s"))
            .unwrap();
        assert_eq!(link.id.to_string(), DB_DASHED);
        assert_eq!(link.view_id.unwrap().to_string(), VIEW_DASHED);
        assert_eq!(link.peek_id.unwrap().to_string(), ROW_DASHED);
        assert_eq!(link.block_id, None);

        let link = NotionLink::parse(&format!(
            "https://www.notion.so/ws/Tasks-{DB}?v={VIEW}&p={ROW}&pm=s"
        ))
        .unwrap();
        assert_eq!(link.id.to_string(), DB_DASHED);
        assert_eq!(link.peek_id.unwrap().to_string(), ROW_DASHED);

        let link = NotionLink::parse(&format!(
            "https://www.notion.so/{DB}?v={VIEW}&pvs=4&source=copy_link"
        ))
        .unwrap();
        assert_eq!(link.view_id.unwrap().to_string(), VIEW_DASHED);
        assert_eq!(link.peek_id, None);

        for anchor in [
            format!("#block-{ROW}"),
            format!("#{ROW}"),
            format!("#{ROW_DASHED}"),
        ] {
            let link =
                NotionLink::parse(&format!("https://www.notion.so/Page-{DB}{anchor}")).unwrap();
            assert_eq!(link.id.to_string(), DB_DASHED);
            assert_eq!(link.block_id.unwrap().to_string(), ROW_DASHED, "{anchor}");
        }
    }

    #[test]
    fn share_links_name_the_page_in_the_query() {
        assert_eq!(id(&format!("https://notion.so/share?p={ROW}")), ROW_DASHED);
        assert_eq!(
            id(&format!("https://notion.so/?p={ROW_DASHED}")),
            ROW_DASHED
        );
        assert_eq!(id(&format!("https://notion.so/share?id={ROW}")), ROW_DASHED);
        let link = NotionLink::parse(&format!("https://notion.so/share?p={ROW}")).unwrap();
        assert_eq!(link.peek_id, None);
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let err = |text: &str| NotionLink::parse(text).unwrap_err();
        assert_eq!(err(""), LinkError::Empty);
        assert!(matches!(err("not-a-url"), LinkError::NotALink { .. }));
        assert!(matches!(err("12345"), LinkError::NotALink { .. }));
        assert_eq!(
            err(&format!("https://google.com/{DB}")),
            LinkError::NotNotionHost {
                host: "google.com".into()
            }
        );
        assert_eq!(
            err(&format!("https://notion.so.evil.com/{DB}")),
            LinkError::NotNotionHost {
                host: "notion.so.evil.com".into()
            }
        );
        assert!(matches!(
            err(&format!("ftp://www.notion.so/{DB}")),
            LinkError::UnsupportedScheme { .. }
        ));
        assert!(matches!(
            err("https://www.notion.so/invalid-page-id"),
            LinkError::NoId { .. }
        ));
        assert!(matches!(
            err("https://acme.notion.site/our-custom-page"),
            LinkError::NoId { .. }
        ));
        assert_eq!(
            err(&format!("https://www.notion.so/Tasks-{}", &DB[..31])),
            LinkError::BadPathId(IdError::WrongLength { found: 31 })
        );
        assert_eq!(
            err(&format!("https://www.notion.so/Tasks-{DB}a")),
            LinkError::BadPathId(IdError::WrongLength { found: 33 })
        );
        assert_eq!(
            err(&format!("https://www.notion.so/Tasks-{}g", &DB[..31])),
            LinkError::BadPathId(IdError::NotHex {
                found: 'g',
                position: 31
            })
        );
        assert!(matches!(
            err(&format!("https://www.notion.so/{DB}?v=tooshort")),
            LinkError::BadViewId(_)
        ));
        assert!(matches!(
            err(&format!("https://www.notion.so/{DB}?p=")),
            LinkError::BadPeekId(IdError::Empty)
        ));
        assert!(matches!(
            err(&format!("https://www.notion.so/Page-{DB}#block-xyz")),
            LinkError::BadBlockId(_)
        ));
    }

    #[test]
    fn display_is_a_link_that_parses_back() {
        let link = NotionLink::parse(&format!(
            "https://app.notion.com/p/Tasks-{DB}?v={VIEW}&p={ROW}#block-{ROW}"
        ))
        .unwrap();
        assert_eq!(NotionLink::parse(&link.to_string()).unwrap(), link);
    }
}
