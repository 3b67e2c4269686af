//! BODYSTRUCTURE (RFC 9051 §7.5.2 `body`) as a flat part tree: each part's section path (`1`, `2.1`), its
//! media type, its size and its file name — what a script needs to choose `--part` without downloading a
//! message. Read from a parsed [`Value`] (already bounded in depth by the response parser); at most
//! [`MAX_PARTS`] parts. File names come from the Content-Disposition `filename` parameter, else the
//! Content-Type `name`, decoded from RFC 2231 / RFC 2047 by the MIME header parser. The root multipart has
//! no section of its own (its type is [`Structure::content_type`]); a message/rfc822 part's own parts are
//! numbered below it (RFC 9051 §6.4.5).

use serde::Serialize;

use super::value::Value;
use crate::error::{Error, Result};
use crate::mime::header::parse_field;

/// The most parts listed for one message (the MIME decoder's cap too).
pub const MAX_PARTS: usize = 10_000;

/// One part of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartInfo {
    /// The section path for `--part` (`1`, `1.2`).
    pub path: String,
    /// `type/subtype`, lower case.
    #[serde(rename = "type")]
    pub media_type: String,
    /// The encoded size in bytes (None for a multipart).
    pub size: Option<u64>,
    /// The file name, decoded.
    pub filename: Option<String>,
}

/// A message's structure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Structure {
    /// The message's own `type/subtype`.
    pub content_type: String,
    /// Every part, depth first.
    pub parts: Vec<PartInfo>,
}

fn bad(what: &str) -> Error {
    Error::protocol(format!("malformed BODYSTRUCTURE: {what}"))
}

fn lower(v: Option<&Value>) -> String {
    v.and_then(Value::text)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// `("name" "value" ...)` as a field text `x; name="value"` the MIME parser decodes (RFC 2231, 2047).
fn params_field(v: Option<&Value>) -> String {
    let mut s = String::from("x");
    if let Some(items) = v.and_then(Value::list) {
        for pair in items.chunks(2) {
            if let [k, val] = pair {
                let k = k.text().unwrap_or_default();
                let val = val.text().unwrap_or_default();
                if k.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'=' && b != b';')
                {
                    let q = val.replace('\\', "\\\\").replace('"', "\\\"");
                    s.push_str(&format!("; {k}=\"{q}\""));
                }
            }
        }
    }
    s
}

impl Structure {
    /// Reads a BODYSTRUCTURE (or BODY) value.
    pub fn from_value(v: &Value) -> Result<Structure> {
        let mut s = Structure {
            content_type: String::new(),
            parts: Vec::new(),
        };
        let ty = s.walk(v, "", true)?;
        s.content_type = ty;
        Ok(s)
    }

    /// Adds the parts of body `v` at section `path` (empty at the root); returns its type.
    fn walk(&mut self, v: &Value, path: &str, root: bool) -> Result<String> {
        let items = v.list().ok_or_else(|| bad("a body is not a list"))?;
        let child = |i: usize| {
            if path.is_empty() {
                (i + 1).to_string()
            } else {
                format!("{path}.{}", i + 1)
            }
        };
        if items.first().is_some_and(|f| f.list().is_some()) {
            let n = items.iter().take_while(|i| i.list().is_some()).count();
            let ty = format!("multipart/{}", lower(items.get(n)));
            if !root {
                self.push(PartInfo {
                    path: path.to_string(),
                    media_type: ty.clone(),
                    size: None,
                    filename: None,
                })?;
            }
            for (i, part) in items[..n].iter().enumerate() {
                self.walk(part, &child(i), false)?;
            }
            return Ok(ty);
        }
        if items.len() < 7 {
            return Err(bad("a part has fewer than seven fields"));
        }
        let ty = format!("{}/{}", lower(items.first()), lower(items.get(1)));
        let size = items[6].number();
        // Extension data starts after the type-specific fields (RFC 9051 body-type-text/-msg/-basic).
        let ext = match ty.as_str() {
            "message/rfc822" | "message/global" => 10,
            t if t.starts_with("text/") => 8,
            _ => 7,
        };
        let disposition = items.get(ext + 1);
        let mut filename = disposition.and_then(|d| d.get(1)).and_then(|p| {
            parse_field(&params_field(Some(p)))
                .param("filename")
                .map(str::to_string)
        });
        if filename.is_none() {
            filename = parse_field(&params_field(items.get(2)))
                .param("name")
                .map(str::to_string);
        }
        let me = if path.is_empty() {
            "1".to_string()
        } else {
            path.to_string()
        };
        self.push(PartInfo {
            path: me.clone(),
            media_type: ty.clone(),
            size,
            filename,
        })?;
        if ext == 10
            && let Some(inner) = items.get(8)
            && inner.list().is_some()
        {
            let inner_multi = inner.get(0).is_some_and(|f| f.list().is_some());
            if inner_multi {
                self.walk(inner, &me, true)?;
            } else {
                self.walk(inner, &format!("{me}.1"), false)?;
            }
        }
        Ok(ty)
    }

    fn push(&mut self, p: PartInfo) -> Result<()> {
        if self.parts.len() >= MAX_PARTS {
            return Err(bad(&format!("more than {MAX_PARTS} parts")));
        }
        self.parts.push(p);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::response::{Response, parse};

    fn structure(line: &[u8]) -> Result<Structure> {
        let Response::Fetch(f) = parse(line)? else {
            panic!()
        };
        Structure::from_value(f.structure.as_ref().unwrap())
    }

    #[test]
    fn a_mixed_message_with_an_attachment_and_a_forward() {
        let s = structure(b"* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 400 NIL (\"attachment\" (\"filename*\" \"utf-8''R%C3%A9sum%C3%A9.pdf\")) NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 99 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 20 2) 5) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL))").unwrap();
        assert_eq!(s.content_type, "multipart/mixed");
        let rows: Vec<(&str, &str, Option<u64>, Option<&str>)> = s
            .parts
            .iter()
            .map(|p| {
                (
                    p.path.as_str(),
                    p.media_type.as_str(),
                    p.size,
                    p.filename.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("1", "text/plain", Some(12), None),
                ("2", "application/pdf", Some(400), Some("Résumé.pdf")),
                ("3", "message/rfc822", Some(99), None),
                ("3.1", "text/html", Some(20), None),
            ]
        );
        let s =
            structure(b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 3 1))").unwrap();
        assert_eq!(s.content_type, "text/plain");
        assert_eq!(s.parts[0].path, "1");
        assert!(structure(b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\"))").is_err());
        assert!(structure(b"* 1 FETCH (BODY NIL)").is_err());
    }
}
