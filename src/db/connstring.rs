//! Parses what the user typed as a connection string: a `postgresql://` URL with an authority, or a libpq
//! keyword/value list (`host=db dbname=app user=me password=...`). Anything else is refused.
//!
//! The raw string may hold a password, so no error message here ever repeats any part of it: each one
//! says which part is wrong and what the right form is. Values are only split and decoded here; whether
//! a port or a timeout makes sense is judged by [`super::conninfo`], which knows where each value came from.

use anyhow::Result;
use percent_encoding::percent_decode_str;

use crate::error::CliError;

/// The keywords rehab understands, in URL queries and keyword/value strings alike.
pub const KEYWORDS: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "options",
    "application_name",
];

/// What a connection string says; every part is optional so the environment can fill the rest.
#[derive(Default)]
pub struct ConnParts {
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub dbname: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub connect_timeout: Option<String>,
    pub options: Option<String>,
}

impl ConnParts {
    /// Parses `raw` as a URL when it starts with a scheme, else as keyword/value settings.
    pub fn parse(raw: &str) -> Result<Self> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(invalid("the connection string is empty").into());
        }
        match scheme_of(text) {
            Some(scheme) => parse_url(text, &scheme),
            None if text.contains('=') => parse_keywords(text),
            None => Err(invalid("it is neither a postgresql:// URL nor a list of keyword=value settings").into()),
        }
    }

    /// Stores one keyword's value; `false` for a keyword rehab does not know.
    fn set(&mut self, keyword: &str, value: String) -> bool {
        let slot = match keyword {
            "host" => &mut self.host,
            "port" => &mut self.port,
            "user" => &mut self.user,
            "password" => &mut self.password,
            "dbname" => &mut self.dbname,
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "connect_timeout" => &mut self.connect_timeout,
            "options" => &mut self.options,
            // rehab names every connection after its command.
            "application_name" => return true,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// A usage error about the connection string, with the two accepted forms as the hint.
fn invalid(what: &str) -> CliError {
    CliError::usage(format!("invalid connection string: {what}")).with_hint(
        "use postgresql://user:password@host:port/dbname (percent-encode @ : / ? # % in the user name and password) \
         or keyword=value settings such as `host=db port=5432 dbname=app user=me`",
    )
}

/// The scheme when `text` starts with one (`letters:`), lower-cased.
fn scheme_of(text: &str) -> Option<String> {
    let (head, _) = text.split_once(':')?;
    let mut chars = head.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then(|| head.to_ascii_lowercase())
}

fn parse_url(text: &str, scheme: &str) -> Result<ConnParts> {
    if scheme != "postgresql" && scheme != "postgres" {
        // Not repeated: what stands before the first `:` may be a user name, or worse.
        return Err(invalid("the URL scheme is not postgresql:// or postgres://").into());
    }
    let Some(rest) = text[scheme.len() + 1..].strip_prefix("//") else {
        return Err(invalid(&format!("missing // after the scheme `{scheme}:`")).into());
    };
    if rest.contains('#') {
        return Err(invalid("the URL has a `#` (a fragment): percent-encode it as %23 in a password").into());
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let (path, query) = match after.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after, None),
    };
    let mut parts = ConnParts::default();
    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            parts.user = Some(decode(user, "the user name")?).filter(|u| !u.is_empty());
            parts.password = password.map(|p| decode(p, "the password")).transpose()?;
            host_port
        }
        None => authority,
    };
    parse_host_port(host_port, &mut parts)?;
    let dbname = path.strip_prefix('/').unwrap_or(path);
    if dbname.contains('/') {
        return Err(invalid("the database name has a `/`: percent-encode it as %2F").into());
    }
    parts.dbname = Some(decode(dbname, "the database name")?).filter(|d| !d.is_empty());
    for (i, pair) in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()).enumerate() {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(invalid(&format!("query parameter {} has no `=value`", i + 1)).into());
        };
        let key = decode(key, &format!("the name of query parameter {}", i + 1))?;
        let known = KEYWORDS.contains(&key.as_str());
        if !known {
            return Err(unknown_keyword(&format!("query parameter {}", i + 1)).into());
        }
        let value = decode(value, &format!("the value of parameter `{key}`"))?;
        parts.set(&key, value);
    }
    Ok(parts)
}

fn parse_host_port(host_port: &str, parts: &mut ConnParts) -> Result<()> {
    if host_port.contains(',') {
        return Err(invalid("several hosts are not supported: name one server").into());
    }
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let Some((ip, after)) = bracketed.split_once(']') else {
            return Err(invalid("the host has a `[` without its `]`").into());
        };
        match after {
            "" => (ip, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (ip, Some(p)),
                None => return Err(invalid("unexpected text after the `]` of the host").into()),
            },
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    parts.host = Some(decode(host, "the host")?).filter(|h| !h.is_empty());
    if let Some(port) = port {
        if port.is_empty() {
            return Err(invalid("the `:` after the host is followed by no port").into());
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "the port after the host is not a number (a password holding @ : / ? or # must be percent-encoded)",
            )
            .into());
        }
        parts.port = Some(port.to_string());
    }
    Ok(())
}

/// Percent-decodes one part; a `%` not followed by two hex digits, or bytes that are not UTF-8, are errors.
fn decode(part: &str, what: &str) -> Result<String> {
    let bytes = part.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(invalid(&format!(
                "bad percent-encoding in {what}: `%` must be followed by two hex digits (write a literal % as %25)"
            ))
            .into());
        }
    }
    percent_decode_str(part)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| invalid(&format!("{what} is not valid UTF-8 once percent-decoded")).into())
}

fn unknown_keyword(which: &str) -> CliError {
    invalid(&format!("{which} is not a keyword rehab knows (known: {})", KEYWORDS.join(", ")))
}

/// libpq's keyword/value form: `keyword = value` pairs separated by whitespace; a value is either a run
/// of non-space characters or single-quoted, with `\'` and `\\` escapes in both.
fn parse_keywords(text: &str) -> Result<ConnParts> {
    let mut parts = ConnParts::default();
    let mut chars = text.chars().peekable();
    let mut index = 0;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(parts);
        }
        index += 1;
        let mut keyword = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            keyword.push(c);
        }
        // Named only when known: an unknown word may be a stray piece of a password.
        let known = KEYWORDS.contains(&keyword.as_str());
        let name = if known { format!("`{keyword}`") } else { format!("setting {index}") };
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(invalid(&format!("{name} is not followed by `=`")).into());
        }
        if !known {
            return Err(unknown_keyword(&format!("setting {index}")).into());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(invalid(&format!("the quoted value of {name} has no closing `'`")).into()),
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(invalid(&format!("the quoted value of {name} has no closing `'`")).into()),
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        parts.set(&keyword, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        match ConnParts::parse(raw) {
            Ok(_) => panic!("accepted {raw:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn urls_split_into_decoded_parts() {
        let p = ConnParts::parse("postgres://u%40x:p%3Ass@[::1]:7000/my%20db?sslmode=require&host=%2Ftmp").unwrap();
        assert_eq!(p.user.as_deref(), Some("u@x"));
        assert_eq!(p.password.as_deref(), Some("p:ss"));
        assert_eq!(p.host.as_deref(), Some("/tmp"));
        assert_eq!(p.port.as_deref(), Some("7000"));
        assert_eq!(p.dbname.as_deref(), Some("my db"));
        assert_eq!(p.sslmode.as_deref(), Some("require"));
        // An unencoded @ in the password: the last @ ends the user info, as in libpq.
        let p = ConnParts::parse("postgresql://u:p@ss@h/db").unwrap();
        assert_eq!((p.password.as_deref(), p.host.as_deref()), (Some("p@ss"), Some("h")));
        let p = ConnParts::parse("postgresql:///db").unwrap();
        assert_eq!((p.host, p.dbname.as_deref()), (None, Some("db")));
    }

    #[test]
    fn keyword_value_strings_follow_libpq() {
        let p = ConnParts::parse(r"host=db  port = 6543 dbname='my db' user=me password='it\'s \\ x'").unwrap();
        assert_eq!(p.host.as_deref(), Some("db"));
        assert_eq!(p.port.as_deref(), Some("6543"));
        assert_eq!(p.dbname.as_deref(), Some("my db"));
        assert_eq!(p.user.as_deref(), Some("me"));
        assert_eq!(p.password.as_deref(), Some(r"it's \ x"));
        assert_eq!(ConnParts::parse("password=").unwrap().password.as_deref(), Some(""));
    }

    #[test]
    fn each_mistake_is_named_without_echoing_the_string() {
        for (raw, says) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("postgres:Sup3rS3cr3t!@127.0.0.1/app", "missing // after the scheme `postgres:`"),
            ("postgresql:/u:Sup3rS3cr3t!@h/app", "missing //"),
            ("mysql://u:Sup3rS3cr3t!@h/app", "scheme is not postgresql"),
            ("postgresql://u%ZZ:Sup3rS3cr3t!@h/app", "bad percent-encoding in the user name"),
            ("postgresql://u:Sup3rS3cr3t!%G1@h/app", "bad percent-encoding in the password"),
            ("postgresql://u:Sup3rS3cr3t!@h/a%2", "bad percent-encoding in the database name"),
            ("postgresql://u:Sup3rS3cr3t!/app", "port after the host is not a number"),
            ("postgresql://u:Sup3rS3cr3t!@h1,h2/app", "several hosts"),
            ("postgresql://u:Sup3rS3cr3t!@[::1/app", "without its `]`"),
            ("postgresql://u:Sup3r#S3cr3t!@h/app", "fragment"),
            ("postgresql://u:Sup3rS3cr3t!@h/app?Sup3rS3cr3t!=1", "query parameter 1 is not a keyword"),
            ("postgresql://u:Sup3rS3cr3t!@h/app?sslmode", "has no `=value`"),
            ("host=h password='Sup3rS3cr3t!", "no closing `'`"),
            ("host=h Sup3rS3cr3t!=x", "setting 2 is not a keyword"),
            ("host=h password Sup3rS3cr3t!", "`password` is not followed by `=`"),
            ("Sup3rS3cr3t! at h", "neither a postgresql:// URL"),
        ] {
            let msg = err(raw);
            assert!(msg.contains(says), "{raw:?}: {msg}");
            assert!(!msg.contains("Sup3r") && !msg.contains("S3cr3t"), "{raw:?} leaked: {msg}");
        }
    }
}
