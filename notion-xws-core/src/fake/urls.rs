//! The URLs Notion gives its objects: `https://app.notion.com/p/{Title-Slug}-{32 hex}` (as the
//! recorded responses show), used for a page's or database's `url` and a mention's `href`.

use crate::ids::ObjectId;

/// The URL slug of a title: `Test Page` → `Test-Page`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// `https://app.notion.com/p/{slug}-{32 hex}`.
pub(crate) fn object_url(id: u128, title: &str) -> String {
    let simple = ObjectId::from_u128(id).simple();
    let slug = slug(title);
    if slug.is_empty() {
        format!("https://app.notion.com/p/{simple}")
    } else {
        format!("https://app.notion.com/p/{slug}-{simple}")
    }
}
