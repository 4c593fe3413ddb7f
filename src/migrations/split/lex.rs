//! Just enough of PostgreSQL's lexer (`src/backend/parser/scan.l`) to tell a `;` that ends a statement from
//! one inside a string, an identifier, a dollar quote or a comment. It follows the server's rules token by
//! token rather than looking back at the previous character: `a$b$` is one identifier because the identifier
//! is read whole, while `1$a$` and `"x"$a$` open a dollar quote, as they do on the server. It never decodes
//! or rejects anything: an unterminated string or comment simply runs to the end, and the server reports it.
//!
//! Assumes `standard_conforming_strings = on` (the default since PostgreSQL 9.1): in `'...'` a backslash is
//! an ordinary character; only `E'...'` takes backslash escapes.

/// What a token is, as far as splitting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything the server reads: words, literals, quoted identifiers, operators, parameters.
    Code,
    /// Whitespace, a `--` comment or a (nested) `/* */` comment.
    Blank,
    /// A `;` outside quotes and comments: the end of a statement.
    Semicolon,
}

/// One token: its kind and its byte range in the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `sql`, in order, covering every byte of it.
pub fn tokens(sql: &str) -> Tokens<'_> {
    Tokens { s: sql.as_bytes(), pos: 0 }
}

pub struct Tokens<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let start = self.pos;
        let first = *self.s.get(start)?;
        let (kind, end) = match first {
            b';' => (Kind::Semicolon, start + 1),
            b if is_space(b) => (Kind::Blank, self.scan_while(start, is_space)),
            b'-' if self.at(start + 1) == Some(b'-') => (Kind::Blank, self.line_comment_end(start)),
            // Unterminated, a comment is sent like code, so that the server reports it instead of rehab
            // silently skipping the rest of the script.
            b'/' if self.at(start + 1) == Some(b'*') => {
                self.block_comment_end(start).map_or((Kind::Code, self.s.len()), |end| (Kind::Blank, end))
            }
            b'\'' => (Kind::Code, self.string_end(start + 1, Escapes::Doubling)),
            b'"' => (Kind::Code, self.quoted_ident_end(start + 1)),
            b'$' => (Kind::Code, self.dollar_end(start)),
            // Digits, letters and `.` after a leading digit are a number (or junk the server rejects); never a
            // `$`, so `1$a$` goes on with a dollar quote.
            b if b.is_ascii_digit() => {
                (Kind::Code, self.scan_while(start, |b| b == b'.' || b.is_ascii_digit() || is_ident_start(b)))
            }
            b if is_ident_start(b) => (Kind::Code, self.word_end(start)),
            _ => (Kind::Code, start + 1),
        };
        // Every arm advances, and never past the end: the iterator always terminates.
        debug_assert!(end > start && end <= self.s.len());
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

/// How a `'...'` string treats a backslash.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// Standard strings (also `U&'...'`, `B'...'`, `X'...'`, `N'...'`): only `''` stands for a quote.
    Doubling,
    /// `E'...'`: a backslash escapes the next character as well.
    Backslash,
}

impl Tokens<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn scan_while(&self, mut i: usize, while_: impl Fn(u8) -> bool) -> usize {
        while self.at(i).is_some_and(&while_) {
            i += 1;
        }
        i
    }

    /// An identifier or keyword, or the prefix of a special string (`E'`, `U&'`, `U&"`, `B'`, `X'`, `N'`).
    /// Being read whole, an identifier keeps its `$`s: `a$b$` opens no dollar quote.
    fn word_end(&self, start: usize) -> usize {
        let next = self.at(start + 1);
        match (self.s[start].to_ascii_lowercase(), next) {
            (b'e', Some(b'\'')) => self.string_end(start + 2, Escapes::Backslash),
            (b'b' | b'x' | b'n', Some(b'\'')) => self.string_end(start + 2, Escapes::Doubling),
            // The optional UESCAPE clause after `U&'...'` is an ordinary token of its own.
            (b'u', Some(b'&')) => match self.at(start + 2) {
                Some(b'\'') => self.string_end(start + 3, Escapes::Doubling),
                Some(b'"') => self.quoted_ident_end(start + 3),
                _ => self.scan_while(start, is_ident_char),
            },
            _ => self.scan_while(start, is_ident_char),
        }
    }

    /// The end of a `'...'` string whose body starts at `i`, including any continuation: the server joins
    /// `'a'` and `'b'` separated by whitespace holding a newline into one string of the same kind, so in
    /// `E'a'` + newline + `'b\'c'` the second part takes backslash escapes too.
    fn string_end(&self, mut i: usize, escapes: Escapes) -> usize {
        loop {
            match self.at(i) {
                // `i` may stand one past the end after a trailing backslash.
                None => return self.s.len(),
                Some(b'\\') if escapes == Escapes::Backslash => i += 2,
                Some(b'\'') if self.at(i + 1) == Some(b'\'') => i += 2,
                Some(b'\'') => match self.continuation(i + 1) {
                    Some(body) => i = body,
                    None => return i + 1,
                },
                Some(_) => i += 1,
            }
        }
    }

    /// After a closing quote at `i - 1`: where the body of a continuing string starts, if one follows. The
    /// server's rule (`quotecontinue`): spaces and `--` comments, a newline, any whitespace and `--` comments
    /// ended by a newline, then a quote.
    fn continuation(&self, mut i: usize) -> Option<usize> {
        let mut newline = false;
        loop {
            match self.at(i)? {
                b'\n' | b'\r' => {
                    newline = true;
                    i += 1;
                }
                b if is_space(b) => i += 1,
                b'-' if self.at(i + 1) == Some(b'-') => {
                    i = self.line_comment_end(i);
                    // A comment after the newline must itself end with one.
                    self.at(i)?;
                }
                b'\'' if newline => return Some(i + 1),
                _ => return None,
            }
        }
    }

    /// The end of a `"..."` identifier whose body starts at `i`; `""` stands for a quote.
    fn quoted_ident_end(&self, mut i: usize) -> usize {
        loop {
            match self.at(i) {
                None => return self.s.len(),
                Some(b'"') if self.at(i + 1) == Some(b'"') => i += 2,
                Some(b'"') => return i + 1,
                Some(_) => i += 1,
            }
        }
    }

    /// At a `$`: a parameter (`$1`), a whole dollar-quoted string (`$$...$$`, `$tag$...$tag$`), or a lone
    /// `$`. Only reached at the start of a token, never inside an identifier.
    fn dollar_end(&self, start: usize) -> usize {
        let after = start + 1;
        if self.at(after).is_some_and(|b| b.is_ascii_digit()) {
            return self.scan_while(after, |b| b.is_ascii_digit());
        }
        // A tag is empty or an identifier without `$` that does not start with a digit.
        let tag_end = match self.at(after) {
            Some(b) if is_ident_start(b) => self.scan_while(after, |b| b.is_ascii_digit() || is_ident_start(b)),
            _ => after,
        };
        if self.at(tag_end) != Some(b'$') {
            return after;
        }
        let delimiter = &self.s[start..=tag_end];
        let body = tag_end + 1;
        // Inside the body nothing is special, so the first copy of the delimiter closes it.
        self.s[body..]
            .windows(delimiter.len())
            .position(|w| w == delimiter)
            .map_or(self.s.len(), |n| body + n + delimiter.len())
    }

    /// A `--` comment runs to the end of the line, the newline excluded.
    fn line_comment_end(&self, start: usize) -> usize {
        self.scan_while(start, |b| b != b'\n' && b != b'\r')
    }

    /// `/* ... */`, nesting as the server's comments do; `None` when it is never closed.
    fn block_comment_end(&self, start: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = start;
        while i < self.s.len() {
            match (self.s[i], self.at(i + 1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    i += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => i += 1,
            }
        }
        None
    }
}

/// The server's whitespace (vertical tab included, as PostgreSQL 16 reads it).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Letters, `_` and every byte of a non-ASCII character, as in the server's `ident_start`.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}
