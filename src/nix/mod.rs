//! The Nix syntax layer: printing, escaping, parsing, path resolution and editing.
//!
//! nixgen never writes Nix by gluing strings. New code is built as a small data model
//! ([`ast`]) and printed with the escaping rules of [`escape`]; fresh files are laid out by
//! nixfmt (RFC 166, through the `nixfmt_rs` library) so that they are a formatter fixed point.
//! Existing files are read with rnix, which keeps every byte including comments; [`resolve`]
//! finds the attribute paths nixgen owns in whatever shape the author wrote them, and
//! [`edit`](crate::edit) changes them while keeping the author's layout. Everything nixgen
//! writes passes [`check_syntax`]: rnix (which is lenient) and nixfmt_rs's strict parser must
//! both accept it.

pub mod ast;
pub mod escape;
pub mod eval;
pub mod hash;
pub mod resolve;
pub mod scope;

use crate::diag::Position;

/// A syntax error in Nix text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where in the text the parser stopped; `None` when the parser did not say.
    pub position: Option<Position>,
    /// The parser's description of the error, without the position.
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Checks that `text` is valid Nix by two parsers: rnix and nixfmt_rs's strict one.
pub fn check_syntax(text: &str) -> Result<(), SyntaxError> {
    parse_checked(text).map(|_| ())
}

/// Parses `text` with rnix only (after the shape guard). Editing commands read files this
/// way and leave the strict parse to the result, which contains all of the input that remains:
/// one strict parse per edit instead of two. See `edit::finish`.
pub fn parse_lenient(text: &str) -> Result<rnix::Root, SyntaxError> {
    guard_shape(text)?;
    let parse = rnix::Root::parse(text);
    if let Some(error) = parse.errors().first() {
        return Err(rnix_error(text, error));
    }
    Ok(parse.tree())
}

/// The shape guard and the strict parse, without rnix (for text rnix already read).
pub fn check_strict(text: &str) -> Result<(), SyntaxError> {
    guard_shape(text)?;
    strict_check(text)
}

/// Checks output nixgen is about to write. rnix is lenient where nixfmt_rs's parser is strict
/// (it accepts what Nix accepts, no more), so the strict parser alone decides; for a large
/// file this halves the work of the check without weakening it.
pub fn check_output(text: &str) -> Result<(), SyntaxError> {
    // No shape guard: output is a file that passed it plus a few levels of nixgen's own code.
    strict_check(text)
}

/// Parses `text` with rnix and checks it with the strict parser too; returns rnix's tree.
///
/// The two parses are independent, so the strict one runs on a second thread while rnix
/// parses (on the 10,700-line benchmark flake each takes about 15 ms; see BENCHMARKS.md).
/// Errors are reported as a sequential check would: rnix's first, then the strict parser's.
pub fn parse_checked(text: &str) -> Result<rnix::Root, SyntaxError> {
    // Both parsers recurse on nesting, and rnix is quadratic on some very long chains: text
    // shaped to exhaust the stack or the clock is refused before either parser sees it.
    guard_shape(text)?;
    let (parse, strict) = if text.len() >= PARALLEL_CHECK_BYTES {
        std::thread::scope(|s| {
            // The main thread's stack size: the strict parser recurses on nesting.
            let strict = std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn_scoped(s, || check_strict_lexical(text))
                .ok();
            let parse = rnix::Root::parse(text);
            // A panic in the strict parser is a bug there; it surfaces as one here.
            let strict = strict.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            (parse, strict)
        })
    } else {
        (rnix::Root::parse(text), None)
    };
    if let Some(error) = parse.errors().first() {
        return Err(rnix_error(text, error));
    }
    strict.unwrap_or_else(|| strict_check(text))?;
    Ok(parse.tree())
}

/// Largest piece of a file the strict parser reads at once in [`check_strict_chunked`].
const CHUNK_BYTES: usize = 4096;

/// The strict check of a large file, piece by piece along its rnix tree (`root`), so that the
/// strict parser's tree (some 60 bytes a byte of source) never holds more than a piece: on the
/// 10,700-line benchmark flake that is the difference between 27 MiB of fresh memory, most of
/// the run's page faults, and well under one.
///
/// Every list or attribute set longer than a piece has its members checked in runs of at most
/// a piece (`[ run ]`, `{ run }`) and blanked out of the text around them, which is checked
/// with the blanks; a member longer than a piece is split the same way. Nix's grammar reads a
/// member the same in any list (or set), so the file passes exactly when every piece does.
/// A piece that fails is reported by a strict parse of the whole file, which gives the
/// position Nix would.
pub fn check_strict_chunked(root: &rnix::SyntaxNode, text: &str) -> Result<(), SyntaxError> {
    use rnix::SyntaxKind as K;
    #[derive(Clone, Copy)]
    enum Wrap {
        None,
        Set,
        List,
    }
    let wrapped = |wrap: Wrap, body: &str| match wrap {
        Wrap::None => body.to_owned(),
        Wrap::Set => format!("{{ {body} }}"),
        Wrap::List => format!("[ {body} ]"),
    };
    let is_container = |n: &rnix::SyntaxNode| matches!(n.kind(), K::NODE_ATTR_SET | K::NODE_LIST);
    let is_member = |container: &rnix::SyntaxNode, n: &rnix::SyntaxNode| {
        container.kind() == K::NODE_LIST
            || matches!(n.kind(), K::NODE_ATTRPATH_VALUE | K::NODE_INHERIT)
    };
    let len = |n: &rnix::SyntaxNode| usize::from(n.text_range().len());
    let mut failed = false;
    let mut jobs: Vec<(rnix::SyntaxNode, Wrap)> = vec![(root.clone(), Wrap::None)];
    while let Some((node, wrap)) = jobs.pop() {
        let range = node.text_range();
        let base = usize::from(range.start());
        let mut body: Vec<u8> = text.as_bytes()[base..usize::from(range.end())].to_vec();
        let mut blank = |start: usize, end: usize| {
            for b in &mut body[start - base..end - base] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        };
        // The outermost large containers inside `node` (itself included).
        let mut containers = Vec::new();
        let mut stack = vec![node.clone()];
        while let Some(n) = stack.pop() {
            if len(&n) <= CHUNK_BYTES {
                continue;
            }
            if is_container(&n) {
                containers.push(n);
            } else {
                stack.extend(n.children());
            }
        }
        for container in containers {
            let inner = if container.kind() == K::NODE_LIST {
                Wrap::List
            } else {
                Wrap::Set
            };
            let mut run: Option<(usize, usize)> = None;
            let flush = |run: &mut Option<(usize, usize)>,
                         failed: &mut bool,
                         blank: &mut dyn FnMut(usize, usize)| {
                if let Some((start, end)) = run.take() {
                    if strict_check(&wrapped(inner, &text[start..end])).is_err() {
                        *failed = true;
                    }
                    blank(start, end);
                }
            };
            for member in container.children().filter(|m| is_member(&container, m)) {
                let (start, end) = (
                    usize::from(member.text_range().start()),
                    usize::from(member.text_range().end()),
                );
                if end - start > CHUNK_BYTES {
                    flush(&mut run, &mut failed, &mut blank);
                    blank(start, end);
                    jobs.push((member, inner));
                    continue;
                }
                run = match run {
                    Some((s, _)) if end - s <= CHUNK_BYTES => Some((s, end)),
                    Some(_) => {
                        flush(&mut run, &mut failed, &mut blank);
                        Some((start, end))
                    }
                    None => Some((start, end)),
                };
            }
            flush(&mut run, &mut failed, &mut blank);
        }
        // Blanking replaced whole members, so the bytes are still UTF-8.
        let body = String::from_utf8(body).unwrap_or_default();
        if failed || strict_check(&wrapped(wrap, &body)).is_err() {
            // The whole file's strict parse names the place as Nix would.
            return strict_check(text).and(Err(SyntaxError {
                position: None,
                message: "the strict parser refused a part of the file".into(),
            }));
        }
    }
    Ok(())
}

/// Checks an expression on its own with both parsers: it must parse strictly and be one
/// expression of syntax kind `kind` (an attribute set, a list, ...). Used to check the
/// containers an edit changed, in a file whose own strict check passed: a container that
/// opens and closes with its own delimiters stands for one term wherever it is, so a file
/// made of valid containers is valid.
pub fn check_container(text: &str, kind: rnix::SyntaxKind) -> Result<(), SyntaxError> {
    use rowan::ast::AstNode;
    guard_shape(text)?;
    let parse = rnix::Root::parse(text);
    if let Some(error) = parse.errors().first() {
        return Err(rnix_error(text, error));
    }
    let root = parse.tree();
    let got = root.expr().map(|e| e.syntax().kind());
    let expected = match kind {
        // A pattern is checked as the parameter of `PATTERN: null`.
        rnix::SyntaxKind::NODE_PATTERN => rnix::SyntaxKind::NODE_LAMBDA,
        k => k,
    };
    if got != Some(expected) {
        return Err(SyntaxError {
            position: None,
            message: format!("an edited {kind:?} no longer reads as one"),
        });
    }
    strict_check(text)
}

/// Texts at least this long are checked by both parsers at once (below it a thread costs
/// more than it saves).
const PARALLEL_CHECK_BYTES: usize = 64 * 1024;

/// Converts an rnix parse error into a positioned [`SyntaxError`].
pub fn rnix_error(text: &str, error: &rnix::ParseError) -> SyntaxError {
    use rnix::ParseError as E;
    let offset = match error {
        E::Unexpected(r)
        | E::UnexpectedExtra(r)
        | E::UnexpectedWanted(_, r, _)
        | E::UnexpectedDoubleBind(r)
        | E::DuplicatedArgs(r, _) => Some(usize::from(r.start())),
        E::UnexpectedEOF | E::UnexpectedEOFWanted(_) => Some(text.len()),
        E::RecursionLimitExceeded => None,
        _ => None,
    };
    let message = match error {
        E::Unexpected(_) => "unexpected syntax".to_owned(),
        E::UnexpectedExtra(_) => "unexpected text after the expression".to_owned(),
        E::UnexpectedWanted(found, _, wanted) => {
            format!("unexpected {found:?}, expected one of {wanted:?}")
        }
        E::UnexpectedDoubleBind(_) => "a pattern is bound twice".to_owned(),
        E::UnexpectedEOF => "unexpected end of file".to_owned(),
        E::UnexpectedEOFWanted(wanted) => format!("unexpected end of file, expected {wanted:?}"),
        E::DuplicatedArgs(_, name) => format!("argument `{name}` is duplicated"),
        E::RecursionLimitExceeded => "the expression is nested too deeply".to_owned(),
        other => other.to_string(),
    };
    SyntaxError {
        position: offset.map(|o| Position::of_offset(text, o)),
        message,
    }
}

/// The strict parse (nixfmt_rs rejects what Nix rejects, where rnix is lenient).
/// Callers run [`guard_shape`] first: nixfmt_rs recurses on nesting, and very deep input is
/// refused before it can exhaust the stack.
fn strict_check(text: &str) -> Result<(), SyntaxError> {
    // Only the parse: nixfmt_rs's `format` is this parse plus a layout pass that cannot fail
    // (and that takes 60% of the time). `parse` is public but hidden in nixfmt_rs's docs, so
    // Cargo.lock pins the version it is checked against (tests cover it).
    nixfmt_rs::parse(text).map_err(|e| nixfmt_error(text, &e))?;
    Ok(())
}

/// Starts [`check_strict_lexical`] of `text` on a thread of its own when `text` is large
/// (at least 64 KiB), so that the strict check of an input runs while
/// rnix parses it and the edit is planned: the two parses are the bulk of an edit of a
/// large file, and they need not wait for each other. `None` for a small text (a thread
/// costs more than it saves) or when no thread can be started.
pub fn spawn_strict_check(text: &str) -> Option<std::thread::JoinHandle<Result<(), SyntaxError>>> {
    if text.len() < PARALLEL_CHECK_BYTES {
        return None;
    }
    let text = text.to_owned();
    std::thread::Builder::new()
        .name("strict-check".into())
        // The main thread's stack size: the strict parser recurses on nesting.
        .stack_size(8 << 20)
        .spawn(move || check_strict_lexical(&text))
        .ok()
}

/// [`check_strict_chunked`] without rnix's tree: the pieces are found from the tokens alone,
/// so the check needs no parse of its own before it starts. An attribute set longer than a
/// piece has its members (found by the `;` that ends each, at the set's own depth, past the
/// `;` of any `let`, `with` or `assert` inside them) checked in runs, `{ run }`, and blanked
/// out of the text around them, which is checked with the blanks; a member longer than a
/// piece is split the same way. Lists and other large expressions stay in the piece that
/// holds them. Whenever the tokens are not what the pieces assume (a piece fails), the whole
/// text is parsed strictly: that verdict, and its position, are the ones Nix would give.
pub fn check_strict_lexical(text: &str) -> Result<(), SyntaxError> {
    guard_shape(text)?;
    let containers = large_containers(text);
    let wrapped = |list: bool, body: &str| {
        if list {
            format!("[ {body} ]")
        } else {
            format!("{{ {body} }}")
        }
    };
    let mut failed = false;
    // Jobs: a range of `text`, and the container it is a member of (`Some(true)` a list's,
    // `Some(false)` a set's: checked inside `[ ]` or `{ }`).
    let mut jobs: Vec<(usize, usize, Option<bool>)> = vec![(0, text.len(), None)];
    while let Some((start, end, member_of)) = jobs.pop() {
        let mut body: Vec<u8> = text.as_bytes()[start..end].to_vec();
        let mut blank = |from: usize, to: usize| {
            for b in &mut body[from - start..to - start] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        };
        // The outermost large containers inside the job (a member's own included).
        let mut covered = start;
        for container in containers
            .iter()
            .filter(|c| c.open >= start && c.close <= end)
        {
            if container.open < covered {
                continue; // Inside a container already taken.
            }
            covered = container.close;
            let list = container.list;
            let mut run: Option<(usize, usize)> = None;
            let mut flush = |run: &mut Option<(usize, usize)>,
                             blank: &mut dyn FnMut(usize, usize)| {
                if let Some((a, b)) = run.take() {
                    if strict_check(&wrapped(list, &text[a..b])).is_err() {
                        failed = true;
                    }
                    blank(a, b);
                }
            };
            for &(a, b) in &container.members {
                if b - a > CHUNK_BYTES {
                    flush(&mut run, &mut blank);
                    blank(a, b);
                    jobs.push((a, b, Some(list)));
                    continue;
                }
                run = match run {
                    Some((s, _)) if b - s <= CHUNK_BYTES => Some((s, b)),
                    Some(r) => {
                        let mut old = Some(r);
                        flush(&mut old, &mut blank);
                        Some((a, b))
                    }
                    None => Some((a, b)),
                };
            }
            flush(&mut run, &mut blank);
            if failed {
                break;
            }
        }
        // Blanking replaced whole members, so the bytes are still UTF-8.
        let body = String::from_utf8(body).unwrap_or_default();
        let piece = match member_of {
            Some(list) => wrapped(list, &body),
            None => body,
        };
        if failed || strict_check(&piece).is_err() {
            // The whole text's strict parse gives the verdict and the place, as Nix would.
            return strict_check(text);
        }
    }
    Ok(())
}

/// An attribute set or list longer than a piece, found from the tokens: where its brackets
/// are, and the byte range of each member.
struct LargeContainer {
    open: usize,
    close: usize,
    list: bool,
    members: Vec<(usize, usize)>,
}

/// The attribute sets and lists of `text` longer than [`CHUNK_BYTES`], in order of their
/// opening bracket. A set's members end with the `;` at its own depth (past the `;` of any
/// `let`, `with` or `assert` inside them); a list's members start where a token that can
/// start an element follows one that can end one. A `{ ... }` followed by `:` or `@` is a
/// function's pattern, not a set.
fn large_containers(text: &str) -> Vec<LargeContainer> {
    use rnix::SyntaxKind as K;
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Set,
        List,
        Other,
    }
    struct Frame {
        kind: Kind,
        open: usize,
        members: Vec<usize>,
        /// A set's member starts after the previous `;`.
        member_start: usize,
        /// `with`/`assert` whose `;` is still to come, and `let`s waiting for their `in`.
        pending_semis: usize,
        open_lets: usize,
        /// The last token at this depth can end a list element.
        ends_item: bool,
    }
    let frame = |kind: Kind, open: usize, after: usize| Frame {
        kind,
        open,
        members: Vec::new(),
        member_start: after,
        pending_semis: 0,
        open_lets: 0,
        ends_item: false,
    };
    // Tokens that can start a list element, and those that can end one (a closing bracket
    // ends one too; only an opening one starts one).
    let simple = |k: K| {
        matches!(
            k,
            K::TOKEN_IDENT
                | K::TOKEN_INTEGER
                | K::TOKEN_FLOAT
                | K::TOKEN_PATH_ABS
                | K::TOKEN_PATH_REL
                | K::TOKEN_PATH_HOME
                | K::TOKEN_PATH_SEARCH
                | K::TOKEN_URI
        )
    };
    let starts_item = |k: K| {
        simple(k)
            || matches!(
                k,
                K::TOKEN_L_PAREN
                    | K::TOKEN_L_BRACE
                    | K::TOKEN_L_BRACK
                    | K::TOKEN_REC
                    | K::TOKEN_STRING_START
            )
    };
    let ends_item = |k: K| {
        simple(k)
            || matches!(
                k,
                K::TOKEN_R_PAREN | K::TOKEN_R_BRACE | K::TOKEN_R_BRACK | K::TOKEN_STRING_END
            )
    };
    let mut stack: Vec<Frame> = vec![frame(Kind::Other, 0, 0)];
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut in_string = 0usize;
    let mut pending_brace: Option<(Frame, usize)> = None;
    let finish = |f: Frame, close: usize, out: &mut Vec<LargeContainer>| {
        if close - f.open <= CHUNK_BYTES || f.kind == Kind::Other {
            return;
        }
        let list = f.kind == Kind::List;
        let mut members = Vec::with_capacity(f.members.len());
        if list {
            // From each element's start to the next one's (the last one to the `]`).
            for (i, &a) in f.members.iter().enumerate() {
                let b = f.members.get(i + 1).copied().unwrap_or(close - 1);
                members.push((a, b));
            }
        } else {
            let mut a = f.open + 1;
            for &b in &f.members {
                members.push((a, b));
                a = b;
            }
        }
        if !members.is_empty() {
            out.push(LargeContainer {
                open: f.open,
                close,
                list,
                members,
            });
        }
    };
    for (kind, token) in rnix::tokenize(text) {
        let start = offset;
        offset += token.len();
        if matches!(kind, K::TOKEN_WHITESPACE | K::TOKEN_COMMENT) {
            continue;
        }
        // The set closed just before: a pattern when `:` or `@` follows.
        if let Some((f, close)) = pending_brace.take() {
            if !matches!(kind, K::TOKEN_COLON | K::TOKEN_AT) {
                finish(f, close, &mut out);
            }
        }
        match kind {
            K::TOKEN_STRING_START => in_string += 1,
            K::TOKEN_STRING_END => in_string = in_string.saturating_sub(1),
            _ => {}
        }
        let depth = stack.len();
        let top = stack.last_mut().expect("the file's frame stays");
        // A list element starts here.
        if top.kind == Kind::List
            && starts_item(kind)
            && (top.ends_item || top.members.is_empty())
            && (kind != K::TOKEN_STRING_START || in_string == 1)
        {
            top.members.push(start);
        }
        if kind != K::TOKEN_STRING_CONTENT {
            top.ends_item = ends_item(kind);
        }
        match kind {
            K::TOKEN_L_BRACE => stack.push(frame(Kind::Set, start, offset)),
            K::TOKEN_L_BRACK => stack.push(frame(Kind::List, start, offset)),
            K::TOKEN_L_PAREN | K::TOKEN_INTERPOL_START => {
                stack.push(frame(Kind::Other, start, offset))
            }
            K::TOKEN_R_BRACE | K::TOKEN_R_BRACK | K::TOKEN_R_PAREN | K::TOKEN_INTERPOL_END
                if depth > 1 =>
            {
                let f = stack.pop().expect("more than one");
                if let Some(parent) = stack.last_mut() {
                    parent.ends_item = kind != K::TOKEN_INTERPOL_END;
                }
                if f.kind == Kind::Set && kind == K::TOKEN_R_BRACE {
                    pending_brace = Some((f, offset));
                } else {
                    finish(f, offset, &mut out);
                }
            }
            K::TOKEN_WITH | K::TOKEN_ASSERT => top.pending_semis += 1,
            K::TOKEN_LET => top.open_lets += 1,
            K::TOKEN_IN => top.open_lets = top.open_lets.saturating_sub(1),
            K::TOKEN_SEMICOLON => {
                if top.pending_semis > 0 {
                    top.pending_semis -= 1;
                } else if top.open_lets > 0 {
                    // A `let` binding's end.
                } else if top.kind == Kind::Set {
                    top.members.push(offset);
                    top.member_start = offset;
                }
            }
            _ => {}
        }
    }
    if let Some((f, close)) = pending_brace.take() {
        finish(f, close, &mut out);
    }
    out.sort_by_key(|c| c.open);
    out
}

/// Largest Nix file nixgen reads (8 MiB: ten times the 10,700-line benchmark flake fits).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Deepest bracket nesting accepted from files nixgen reads.
pub const MAX_NESTING: usize = 256;

/// Most operators accepted in one chain at one nesting level (`++`, `//`, `->`, `-`, `!`, which
/// the parsers handle by recursion): rnix overflows the stack on 100,000 `-`, nixfmt_rs on
/// 100,000 `++`.
pub const MAX_OPS: usize = 1000;

/// Most operands juxtaposed at one level outside a list (a function applied to that many
/// arguments): rnix takes quadratic time on long applications (0.3 s for 10,000).
pub const MAX_CHAIN: usize = 10_000;

/// Longest run of name and path characters (`a.b.c`, `./x/y`) accepted: rnix's tokenizer takes
/// quadratic time in it.
pub const MAX_RUN: usize = 4096;

/// Bytes of [`guard_shape`]'s runs: what names and paths are made of, and what starts one.
const WORD_BYTE: [bool; 256] = byte_table(b"._-+/~'<>");
const WORD_START: [bool; 256] = byte_table(b"._/~<");

/// A table true for ASCII letters and digits and for `extra`.
const fn byte_table(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

/// Refuses text whose shape would make a parser overflow its stack or take quadratic time:
/// brackets nested deeper than [`MAX_NESTING`], chains longer than [`MAX_OPS`] / [`MAX_CHAIN`],
/// or a name or path longer than [`MAX_RUN`]. One pass over the bytes; strings and comments
/// are skipped (their interpolations are code). No hand-written Nix comes near these limits.
fn guard_shape(text: &str) -> Result<(), SyntaxError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Level {
        /// Code; `list` when the level is a list (where juxtaposition separates items).
        Code {
            list: bool,
            chain: usize,
            ops: usize,
        },
        /// Inside `"..."` or `''...''`.
        Str { indented: bool },
    }
    let refuse = |offset: usize, message: String| SyntaxError {
        position: Some(crate::diag::Position::of_offset(text, offset)),
        message,
    };
    let bytes = text.as_bytes();
    let mut stack = vec![Level::Code {
        list: false,
        chain: 0,
        ops: 0,
    }];
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let top = *stack.last().expect("the bottom level is never popped");
        // Runs of bytes that change nothing: white space in code, plain text in strings.
        match top {
            Level::Code { .. } if matches!(b, b' ' | b'\n' | b'\t' | b'\r') => {
                i += 1;
                continue;
            }
            Level::Str { .. } if !matches!(b, b'"' | b'\\' | b'$' | b'\'') => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        match top {
            Level::Str { indented } => {
                if !indented && b == b'\\' {
                    i += 2;
                    continue;
                }
                if indented && b == b'\'' && next == b'\'' {
                    let after = bytes.get(i + 2).copied().unwrap_or(0);
                    if matches!(after, b'\'' | b'$' | b'\\') {
                        i += 3;
                        continue;
                    }
                    stack.pop();
                    i += 2;
                    continue;
                }
                if !indented && b == b'"' {
                    stack.pop();
                } else if b == b'$' && next == b'{' {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(refuse(
                            i,
                            format!("the expression is nested deeper than {MAX_NESTING} levels"),
                        ));
                    }
                    stack.push(Level::Code {
                        list: false,
                        chain: 0,
                        ops: 0,
                    });
                    i += 2;
                    continue;
                }
                i += 1;
            }
            Level::Code { list, chain, ops } => {
                let set = |stack: &mut Vec<Level>, chain: usize, ops: usize| {
                    *stack.last_mut().expect("a level") = Level::Code { list, chain, ops };
                };
                if b == b'#' {
                    i += bytes[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .unwrap_or(bytes.len() - i);
                    continue;
                }
                if b == b'/' && next == b'*' {
                    i += 2 + text[i + 2..].find("*/").map_or(bytes.len(), |e| e + 2);
                    continue;
                }
                if b == b'"' || (b == b'\'' && next == b'\'') {
                    let indented = b == b'\'';
                    set(&mut stack, chain + usize::from(!list), ops);
                    stack.push(Level::Str { indented });
                    i += if indented { 2 } else { 1 };
                    continue;
                }
                // Only a byte that can start a name or path starts a run: measuring the run
                // from every `-` of `---...` would make this pass quadratic.
                let starts_word = WORD_START[usize::from(b)];
                let run = if starts_word {
                    bytes[i..]
                        .iter()
                        .take_while(|&&c| WORD_BYTE[usize::from(c)])
                        .count()
                } else {
                    0
                };
                let word = run > 0;
                if word {
                    if run > MAX_RUN {
                        return Err(refuse(
                            i,
                            format!("a name or path is longer than {MAX_RUN} characters"),
                        ));
                    }
                    let separator = matches!(
                        &text[i..i + run],
                        "in" | "then"
                            | "else"
                            | "if"
                            | "let"
                            | "with"
                            | "assert"
                            | "or"
                            | "rec"
                            | "inherit"
                    );
                    let chain = if separator {
                        0
                    } else {
                        chain + usize::from(!list)
                    };
                    if chain > MAX_CHAIN {
                        return Err(refuse(
                            i,
                            format!("more than {MAX_CHAIN} operands are chained here"),
                        ));
                    }
                    set(&mut stack, chain, ops);
                    i += run;
                    continue;
                }
                match b {
                    b'{' | b'[' | b'(' => {
                        depth += 1;
                        if depth > MAX_NESTING {
                            return Err(refuse(
                                i,
                                format!(
                                    "the expression is nested deeper than {MAX_NESTING} levels"
                                ),
                            ));
                        }
                        set(&mut stack, chain + usize::from(!list), ops);
                        stack.push(Level::Code {
                            list: b == b'[',
                            chain: 0,
                            ops: 0,
                        });
                    }
                    b'}' | b']' | b')' => {
                        depth = depth.saturating_sub(1);
                        if stack.len() > 1 {
                            stack.pop();
                        }
                    }
                    b';' | b',' | b'=' | b':' | b'?' | b'@' => set(&mut stack, 0, 0),
                    b'-' | b'!' | b'+' | b'/' | b'>' => {
                        let ops = ops + 1;
                        if ops > MAX_OPS {
                            return Err(refuse(
                                i,
                                format!("more than {MAX_OPS} operators are chained here"),
                            ));
                        }
                        set(&mut stack, 0, ops);
                    }
                    _ if b.is_ascii_whitespace() => {}
                    _ => set(&mut stack, 0, ops),
                }
                i += 1;
            }
        }
    }
    Ok(())
}

fn nixfmt_error(text: &str, e: &nixfmt_rs::ParseError) -> SyntaxError {
    // The error's span is private; its rendering carries `<file>:LINE:COL`.
    let rendered = nixfmt_rs::format_error(text, Some("<nix>"), e);
    let position = rendered.split("<nix>:").nth(1).and_then(|rest| {
        let mut nums = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty());
        let line = nums.next()?.parse().ok()?;
        let column = nums.next()?.parse().ok()?;
        Some(Position { line, column })
    });
    SyntaxError {
        position,
        message: e.message(),
    }
}

/// Lays out valid Nix text the way nixfmt does.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    guard_shape(text)?;
    nixfmt_rs::format(text).map_err(|e| nixfmt_error(text, &e))
}

#[cfg(test)]
mod tests {

    /// A large flake-shaped file with `bad` at member `at` of a long list nested in a long set.
    fn large(at: usize, bad: &str) -> String {
        let mut text = String::from("{\n  inputs = {\n");
        for i in 0..600 {
            text.push_str(&format!("    # input {i}\n    pkg{i}-src = {{ url = \"path:/src/{i}\"; flake = false; }};\n"));
        }
        text.push_str("  };\n  outputs = { self, ... }@inputs: {\n    overlays = [\n");
        for i in 0..600 {
            if i == at {
                text.push_str(&format!("      {bad}\n"));
            } else {
                text.push_str(&format!("      (final: prev: {{ p{i} = prev.p{i}; }})\n"));
            }
        }
        text.push_str("    ];\n  };\n}\n");
        text
    }

    fn chunked(text: &str) -> Result<(), SyntaxError> {
        let root = rnix::Root::parse(text);
        assert!(
            root.errors().is_empty(),
            "rnix reads it: {:?}",
            root.errors()
        );
        check_strict_chunked(&rowan::ast::AstNode::syntax(&root.tree()).clone(), text)
    }

    #[test]
    fn the_chunked_strict_check_agrees_with_the_whole_one() {
        let good = large(300, "(final: prev: { }) # fine");
        assert!(good.len() > 16 * CHUNK_BYTES, "large enough to be split");
        assert_eq!(chunked(&good), Ok(()));
        assert_eq!(strict_check(&good), Ok(()));
        // rnix accepts a bare lambda as a list element; Nix and the strict parser do not.
        for at in [0, 1, 299, 598, 599] {
            let bad = large(at, "final: prev: { }");
            let whole = strict_check(&bad).expect_err("the strict parser refuses it");
            assert_eq!(chunked(&bad), Err(whole), "element {at}");
        }
        // Inside a member too large to be one piece.
        let mut big_member = String::from("(final: prev: { x = [ ");
        for i in 0..2000 {
            big_member.push_str(&format!("{i} "));
        }
        big_member.push_str("(y: y) z: z ]; })");
        let bad = large(10, &big_member);
        assert!(chunked(&bad).is_err());
        let fixed = bad.replace("(y: y) z: z", "(y: y) (z: z)");
        assert_eq!(chunked(&fixed), Ok(()));
    }

    #[test]
    fn the_lexical_strict_check_agrees_with_the_whole_one() {
        let good = large(300, "(final: prev: { }) # fine");
        assert_eq!(check_strict_lexical(&good), Ok(()));
        // The pieces are really found: the overlays list and the inputs set are split.
        let containers = large_containers(&good);
        assert!(containers.iter().any(|c| c.list && c.members.len() == 600));
        assert!(containers.iter().any(|c| !c.list && c.members.len() == 600));
        for at in [0, 1, 299, 598, 599] {
            let bad = large(at, "final: prev: { }");
            let whole = strict_check(&bad).expect_err("the strict parser refuses it");
            assert_eq!(check_strict_lexical(&bad), Err(whole), "element {at}");
        }
        // Members holding `let`, `with` and `assert` (whose `;` do not end the member),
        // strings with braces and `;`, `or` defaults and selections in lists.
        let tricky = large(
            5,
            "(final: prev: { a = let b = 1; in with prev; assert true; b; s = \"{ ; ]\"; t = ''\n  ; }\n''; })",
        )
        .replace(
            "(final: prev: { p7 = prev.p7; })",
            "prev.x.y or prev.z ./p ../q \"s\" 1 2.5 [ ] { } rec { a = 1; }",
        );
        assert_eq!(strict_check(&tricky), Ok(()));
        assert_eq!(check_strict_lexical(&tricky), Ok(()));
        // Every member found is one whole member: each parses on its own (so the check
        // used the pieces, not its whole-text fallback).
        for c in large_containers(&tricky) {
            for &(a, b) in &c.members {
                let piece = if c.list {
                    format!("[ {} ]", &tricky[a..b])
                } else {
                    format!("{{ {} }}", &tricky[a..b])
                };
                assert_eq!(strict_check(&piece), Ok(()), "{piece}");
            }
        }
        let broken = tricky.replace("assert true;", "assert true");
        assert_eq!(check_strict_lexical(&broken), strict_check(&broken));
    }

    use super::*;

    #[test]
    fn the_strict_parser_catches_what_rnix_lets_through() {
        assert!(rnix::Root::parse("[ a x: x ]").errors().is_empty());
        // The strict parser's error at the `:`, not the shape guard's.
        let e = check_syntax("[ a x: x ]").unwrap_err();
        assert_eq!(e.position.map(|p| (p.line, p.column)), Some((1, 6)), "{e}");
        assert!(e.message.starts_with("expected one of"), "{e}");
        assert!(check_syntax("{ a = [ 1 ]; }").is_ok());
    }

    #[test]
    fn braces_inside_strings_are_not_nesting() {
        // Found by tests/it/properties.rs: 300 `{` in a string were taken for 300 levels.
        let text = format!(
            "{{ a = \"{}\"; b = ''{}''; }}",
            "{".repeat(300),
            "{".repeat(300)
        );
        assert!(check_syntax(&text).is_ok());
        assert!(format(&text).is_ok());
        let deep = format!("{{ a = {}{}; }}", "[".repeat(300), "]".repeat(300));
        let e = check_syntax(&deep).unwrap_err();
        assert!(e.message.contains("nested deeper than 256 levels"), "{e}");
    }

    #[test]
    fn shapes_that_break_the_parsers_are_refused() {
        for text in [
            format!("{{ a = {}1; }}", "-".repeat(5000)),
            format!("{{ a = {}[ ]; }}", "[ ] ++ ".repeat(5000)),
            format!("{{ a = f{}; }}", " x".repeat(20_000)),
            format!("{{ a = b{}; }}", ".c".repeat(5000)),
        ] {
            let e = check_syntax(&text).unwrap_err();
            assert!(e.position.is_some(), "{e}");
        }
        // Long lists are not chains.
        let list = format!("{{ a = [{}]; }}", " x".repeat(20_000));
        assert!(check_syntax(&list).is_ok());
    }

    /// nixfmt_rs keeps its error spans private: the position is read from its rendered
    /// message (`<nix>:LINE:COL`). A new nixfmt_rs that renders otherwise fails here.
    #[test]
    fn strict_parser_errors_have_positions_read_from_their_rendering() {
        let text = "{\n  a = [\n    b x: x\n  ];\n}\n";
        assert!(
            rnix::Root::parse(text).errors().is_empty(),
            "only the strict parser refuses it"
        );
        let err = check_strict(text).unwrap_err();
        let position = err.position.expect("a position");
        assert_eq!(position.line, 3, "{err}");
        assert!((5..=10).contains(&position.column), "{err}");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = check_syntax("{\n  a = ;\n}\n").unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }
}
