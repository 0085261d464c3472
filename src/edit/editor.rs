//! The one place where Nix source text changes.
//!
//! Commands describe changes in terms of syntax nodes ("insert this binding after that one",
//! "remove this list element", "replace this value"); the [`Editor`] turns them into byte
//! edits with the layout decided in one place, much like rust-analyzer's `SyntaxEditor`:
//! new code follows the file's indentation unit (spaces or tabs) and the surrounding style
//! (inline or multi-line lists and sets, expanded the RFC 166 way when they outgrow a line);
//! removing an element takes its same-line trailing comment with it and nothing else, so that
//! an insertion followed by the matching removal gives back the original bytes. New code is
//! laid out by nixfmt at the indentation where it lands. Edits are collected, then applied from
//! the end of the file; [`Editor::finish`] re-parses the result with the strict parser (which
//! accepts only what Nix accepts) and refuses output that does not parse.

use std::collections::HashMap;

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode, TextRange, TextSize};
use rowan::ast::AstNode;

use crate::nix::ast::Expr;
use crate::nix::{self, escape, SyntaxError};

/// Line width nixfmt lays code out for.
const WIDTH: usize = 100;

/// The strict check of an editor's source, running on another thread.
pub type InputCheck = std::thread::JoinHandle<Result<(), SyntaxError>>;

/// Collects edits to one source text.
pub struct Editor<'a> {
    /// The source's strict check, when it was started on another thread as the file was
    /// read; joined when the verdict is needed.
    input_check: Option<InputCheck>,
    source: &'a str,
    /// The source's syntax tree, when the caller kept it: the output is then checked
    /// container by container instead of whole (see [`Editor::finish_checked`]).
    tree: Option<SyntaxNode>,
    edits: Vec<(usize, usize, String)>,
    /// The file's indentation unit, learnt when first needed (from the tree when there is
    /// one, else from the text).
    unit: std::cell::OnceCell<String>,
    /// Inline lists and sets being expanded onto several lines; several insertions into one
    /// container share one expansion, written out by [`Editor::finish`].
    expansions: Vec<Expansion>,
    /// Insertions into inline containers, decided when the edits are applied: the
    /// container is the unit, and its line's final width decides whether it stays inline.
    pending: Vec<InlineInsert>,
}

/// An insertion into an inline list or set whose layout is decided at the end (see
/// [`Editor::resolve_inline`]).
struct InlineInsert {
    container: SyntaxNode,
    /// The member it goes after (`None`: first).
    anchor: Option<TextRange>,
    /// Where its inline text goes.
    offset: usize,
    /// The member on one line.
    single: String,
    /// The member rendered at the container's inner indentation, for an expansion.
    expanded: String,
}

/// An inline container rewritten one member a line.
struct Expansion {
    range: TextRange,
    /// The members: original ones carry their range, inserted ones none.
    parts: Vec<(Option<TextRange>, String)>,
    open: String,
    close: String,
    indent: String,
    inner_indent: String,
}

impl Expansion {
    fn insert(&mut self, anchor: Option<TextRange>, text: String) {
        let at = match anchor {
            None => self.parts.iter().take_while(|(r, _)| r.is_none()).count(),
            Some(a) => {
                let i = self
                    .parts
                    .iter()
                    .position(|(r, _)| *r == Some(a))
                    .map_or(self.parts.len(), |i| i + 1);
                // After earlier insertions at the same anchor, to keep their order.
                i + self.parts[i..]
                    .iter()
                    .take_while(|(r, _)| r.is_none())
                    .count()
            }
        };
        self.parts.insert(at, (None, text));
    }

    fn text(&self) -> String {
        let body: String = self
            .parts
            .iter()
            .map(|(_, p)| format!("\n{}{p}", self.inner_indent))
            .collect();
        format!("{}{body}\n{}{}", self.open, self.indent, self.close)
    }
}

impl<'a> Editor<'a> {
    /// An editor for `source` with no edits yet. The indentation unit new code uses is
    /// detected from `source` once, here ([`detect_indent_unit`]).
    pub fn new(source: &'a str) -> Self {
        Editor {
            input_check: None,
            source,
            tree: None,
            edits: Vec::new(),
            unit: std::cell::OnceCell::new(),
            expansions: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The text being edited, as it was before any edit: edits only take effect in
    /// [`Editor::finish`], and offsets always refer to this text.
    /// Keeps the source's syntax tree (`root`), so that the output can be checked where it
    /// changed.
    pub fn with_tree(mut self, root: SyntaxNode) -> Self {
        self.tree = Some(root);
        self
    }

    /// The file's indentation unit. With the tree it is learnt from code only: the line
    /// breaks between tokens, never the lines of a `''...''` string (which may be indented
    /// any way).
    fn unit(&self) -> &str {
        self.unit.get_or_init(|| match &self.tree {
            Some(root) => indent_unit(code_indents(root)),
            None => detect_indent_unit(self.source),
        })
    }

    /// Takes the strict check of the source that was started as the file was read.
    pub fn with_input_check(mut self, check: Option<InputCheck>) -> Self {
        self.input_check = check;
        self
    }

    /// The verdict of the source's strict check started as the file was read (`None` when
    /// none was started); a check that failed to run reads as not having been started.
    pub fn take_input_verdict(&mut self) -> Option<Result<(), SyntaxError>> {
        self.input_check.take().and_then(|h| h.join().ok())
    }

    /// The text being edited.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// How many changes have been recorded (replacements, and members inserted into
    /// expanded containers): a caller compares counts to learn whether a step changed
    /// anything.
    pub fn change_count(&self) -> usize {
        self.edits.len()
            + self.pending.len()
            + self
                .expansions
                .iter()
                .map(|e| e.parts.iter().filter(|(r, _)| r.is_none()).count())
                .sum::<usize>()
    }

    /// True when no edit has been recorded.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.expansions.is_empty() && self.pending.is_empty()
    }

    /// Expands `container` (an inline list or set) one member a line, with `new` after
    /// `anchor` (`None`: first). Later insertions into the same container join this expansion.
    fn expand(&mut self, container: &SyntaxNode, anchor: Option<&SyntaxNode>, new: String) {
        let anchor = anchor.map(|a| a.text_range());
        let e = self.expansion(container);
        e.insert(anchor, new);
    }

    /// The expansion of `container`, made when there is none yet (with the insertions
    /// already waiting for it).
    fn expansion(&mut self, container: &SyntaxNode) -> &mut Expansion {
        let range = container.text_range();
        if let Some(i) = self.expansions.iter().position(|e| e.range == range) {
            return &mut self.expansions[i];
        }
        let indent = self.line_indent(range.start().into()).to_owned();
        let inner_indent = self.deeper(&indent);
        let rec = ast::AttrSet::cast(container.clone()).is_some_and(|s| s.rec_token().is_some());
        let (open, close) = match (container.kind(), rec) {
            (SyntaxKind::NODE_LIST, _) => ("[", "]"),
            (_, true) => ("rec {", "}"),
            (_, false) => ("{", "}"),
        };
        let parts = container
            .children_with_tokens()
            .filter(|c| match c {
                rowan::NodeOrToken::Node(n) => {
                    container.kind() == SyntaxKind::NODE_LIST || is_member(container, n)
                }
                rowan::NodeOrToken::Token(t) => t.kind() == SyntaxKind::TOKEN_COMMENT,
            })
            .map(|c| (Some(c.text_range()), c.to_string()))
            .collect();
        let mut e = Expansion {
            range,
            parts,
            open: open.to_owned(),
            close: close.to_owned(),
            indent,
            inner_indent,
        };
        // Insertions already waiting for this container join the expansion first.
        let (mine, rest): (Vec<InlineInsert>, Vec<InlineInsert>) =
            std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|p| p.container.text_range() == range);
        self.pending = rest;
        for p in mine {
            e.insert(p.anchor, p.expanded);
        }
        self.expansions.push(e);
        self.expansions.last_mut().expect("just pushed")
    }

    /// Replaces `range` with `text`.
    pub fn replace(&mut self, range: TextRange, text: String) {
        self.edits
            .push((range.start().into(), range.end().into(), text));
    }

    /// Inserts `text` at byte `offset`.
    pub fn insert(&mut self, offset: usize, text: String) {
        self.edits.push((offset, offset, text));
    }

    /// The leading whitespace of the line holding byte `offset`.
    pub fn line_indent(&self, offset: usize) -> &'a str {
        let start = self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line = &self.source[start..];
        let end = line
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(line.len());
        &line[..end]
    }

    /// The indentation one level deeper than `indent`.
    pub fn deeper(&self, indent: &str) -> String {
        format!("{indent}{}", self.unit())
    }

    fn width_of(&self, indent: &str) -> usize {
        indent.chars().map(|c| if c == '\t' { 8 } else { 1 }).sum()
    }

    /// `expr` laid out by nixfmt for a line starting at `indent`, continuation lines indented.
    pub fn render(&self, expr: &Expr, indent: &str) -> String {
        self.layout(expr.print(), indent)
    }

    /// Like [`Editor::render`], parenthesized where a list element needs it.
    pub fn render_item(&self, expr: &Expr, indent: &str) -> String {
        match expr {
            Expr::Lambda(..) | Expr::Apply(..) | Expr::With(..) => {
                self.layout(format!("({})", expr.print()), indent)
            }
            _ => self.render(expr, indent),
        }
    }

    fn layout(&self, text: String, indent: &str) -> String {
        let mut opts = nixfmt_rs::Options::default();
        opts.width = WIDTH.saturating_sub(self.width_of(indent)).max(40);
        let formatted = match nixfmt_rs::format_with(&text, &opts) {
            Ok(f) => f,
            // The printer only produces valid Nix; keep its compact form if layout fails.
            Err(_) => text,
        };
        self.reindent(formatted.trim_end(), indent, 0)
    }

    /// `keys = expr;` laid out for a line starting at `indent`.
    pub fn render_binding(&self, keys: &[String], expr: &Expr, indent: &str) -> String {
        let names: Vec<String> = keys.iter().map(|k| escape::attr_name(k)).collect();
        let wrapped = format!("{{\n{} = {};\n}}", names.join("."), expr.print());
        let mut opts = nixfmt_rs::Options::default();
        opts.width = (WIDTH + 2).saturating_sub(self.width_of(indent)).max(40);
        let formatted = nixfmt_rs::format_with(&wrapped, &opts).unwrap_or_else(|_| wrapped.clone());
        let lines: Vec<&str> = formatted.trim_end().lines().collect();
        let inner = lines[1..lines.len().saturating_sub(1)].join("\n");
        self.reindent(&inner, indent, 1)
    }

    /// Re-indents nixfmt output (2 spaces a level): drops `strip` levels, converts levels to
    /// the file's unit, and prefixes every line but the first with `indent`.
    fn reindent(&self, text: &str, indent: &str, strip: usize) -> String {
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let levels = (spaces / 2).saturating_sub(strip);
            let rest = &line[spaces.min(line.len())..];
            if i > 0 {
                out.push('\n');
                if !rest.is_empty() {
                    out.push_str(indent);
                }
            }
            if !rest.is_empty() {
                for _ in 0..levels {
                    out.push_str(self.unit());
                }
                // Odd leftover spaces (inside multi-line strings) are kept as they were.
                out.push_str(&" ".repeat(spaces.saturating_sub(strip * 2) % 2));
            }
            out.push_str(rest);
        }
        out
    }

    /// Where the line holding `offset` ends, when only whitespace and a comment follow
    /// `offset` on it; `None` when more code follows on the same line.
    fn end_of_trivia_line(&self, offset: usize) -> Option<usize> {
        let rest = &self.source[offset..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let line = &rest[..line_end];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Some(offset + line_end);
        }
        if trimmed.starts_with("/*") {
            if let Some(close) = trimmed.find("*/") {
                if trimmed[close + 2..].trim().is_empty() {
                    return Some(offset + line_end);
                }
            }
        }
        None
    }

    /// True when only whitespace stands between the start of the line and `offset`.
    fn starts_line(&self, offset: usize) -> bool {
        let start = self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        self.source[start..offset].trim().is_empty()
    }

    /// Where a new line after `anchor` goes (after its same-line trailing comment), and the
    /// anchor's indentation.
    fn new_line_after(&self, anchor: &SyntaxNode) -> (usize, String) {
        let end: usize = anchor.text_range().end().into();
        let offset = self.end_of_trivia_line(end).unwrap_or(end);
        let indent = self
            .line_indent(anchor.text_range().start().into())
            .to_owned();
        (offset, indent)
    }

    /// Where a new first line inside a container opened at `open` goes, and its indentation:
    /// the first member's when it starts a line, else one level deeper than the closing
    /// bracket's line.
    fn new_line_inside(
        &self,
        open: usize,
        close: Option<usize>,
        first: Option<&SyntaxNode>,
    ) -> (usize, String) {
        let offset = self.end_of_trivia_line(open).unwrap_or(open);
        let indent = match first {
            Some(f) if self.starts_line(f.text_range().start().into()) => {
                self.line_indent(f.text_range().start().into()).to_owned()
            }
            _ => self.deeper(self.line_indent(close.unwrap_or(open))),
        };
        (offset, indent)
    }

    /// Inserts `keys = expr;` into `set`, after `after` (default: the last entry).
    pub fn insert_binding(
        &mut self,
        set: &ast::AttrSet,
        after: Option<&SyntaxNode>,
        keys: &[String],
        expr: &Expr,
    ) {
        let entries: Vec<SyntaxNode> = set
            .syntax()
            .children()
            .filter(|n| {
                matches!(
                    n.kind(),
                    SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_INHERIT
                )
            })
            .collect();
        let anchor = after.cloned().or_else(|| entries.last().cloned());
        let multi_line = set.syntax().text().contains_char('\n');
        let open = set
            .l_curly_token()
            .map(|t| usize::from(t.text_range().end()))
            .unwrap_or_else(|| set.syntax().text_range().start().into());
        if multi_line {
            let close = set.r_curly_token().map(|t| t.text_range().start().into());
            let (offset, indent) = match &anchor {
                Some(a) => self.new_line_after(a),
                None => self.new_line_inside(open, close, None),
            };
            let text = self.render_binding(keys, expr, &indent);
            self.insert(offset, format!("\n{indent}{text}"));
            return;
        }
        // An inline set: stays inline when the result fits on its line, else expands.
        let indent = self
            .line_indent(set.syntax().text_range().start().into())
            .to_owned();
        let inner_indent = self.deeper(&indent);
        let single = self.render_binding(keys, expr, "");
        let new = self.render_binding(keys, expr, &inner_indent);
        let already = self
            .expansions
            .iter()
            .any(|e| e.range == set.syntax().text_range());
        if single.contains('\n') || already {
            self.expand(set.syntax(), anchor.as_ref(), new);
            return;
        }
        let offset = match &anchor {
            Some(a) => usize::from(a.text_range().end()),
            None => open,
        };
        self.pending.push(InlineInsert {
            container: set.syntax().clone(),
            anchor: anchor.map(|a| a.text_range()),
            offset,
            single,
            expanded: new,
        });
    }

    /// Decides the inline insertions: a container stays inline when its line, with every
    /// insertion on it, fits the width (or the author's line was already past it, a one-line
    /// style, and grows by little); otherwise each container that gets members on that line
    /// is laid out one member a line, with all of its new members.
    fn resolve_inline(&mut self) {
        /// How much an author's already-long line may grow and stay one line (at least; half
        /// its length when that is more).
        const ONE_LINE_SLACK: usize = 40;
        let pending = std::mem::take(&mut self.pending);
        let line_of = |offset: usize| self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut growth: HashMap<usize, usize> = HashMap::new();
        for p in &pending {
            *growth
                .entry(line_of(p.container.text_range().start().into()))
                .or_default() += p.single.len() + 1;
        }
        let mut expand: Vec<TextRange> = Vec::new();
        for p in &pending {
            let start: usize = p.container.text_range().start().into();
            let line_len = self.line_length_at(start);
            let grown = growth[&line_of(start)];
            let slack = ONE_LINE_SLACK.max(line_len / 2);
            let fits = line_len + grown < WIDTH || (line_len > WIDTH && grown <= slack);
            if !fits && !expand.contains(&p.container.text_range()) {
                expand.push(p.container.text_range());
            }
        }
        let mut empty_lists: Vec<(SyntaxNode, Vec<String>)> = Vec::new();
        for p in pending {
            let range = p.container.text_range();
            if expand.contains(&range) {
                // The first one creates the expansion; the others join it.
                let anchor = p.anchor.and_then(|a| {
                    p.container
                        .children_with_tokens()
                        .find(|c| c.text_range() == a)
                        .and_then(|c| c.into_node())
                });
                self.expand(&p.container, anchor.as_ref(), p.expanded);
                continue;
            }
            let is_empty_list = p.container.kind() == SyntaxKind::NODE_LIST
                && ast::List::cast(p.container.clone()).is_some_and(|l| l.items().next().is_none());
            if is_empty_list {
                // `[ ]` or `[]` becomes `[ a b ]`: one replacement with all the new items.
                match empty_lists.iter_mut().find(|(n, _)| *n == p.container) {
                    Some((_, items)) => items.push(p.single),
                    None => empty_lists.push((p.container.clone(), vec![p.single])),
                }
                continue;
            }
            self.insert(p.offset, format!(" {}", p.single));
        }
        for (list, items) in empty_lists {
            self.replace(list.text_range(), format!("[ {} ]", items.join(" ")));
        }
    }

    /// Writes the expansions out, inner ones into outer ones: an expansion inside a member of
    /// another expansion, and any edit inside such a member, change that member's text (the
    /// outer one copies its members from the source), and an inner container takes the
    /// indentation its member gets.
    fn resolve_expansions(&mut self) {
        let mut expansions = std::mem::take(&mut self.expansions);
        // Outermost first, for the indentation.
        expansions.sort_by_key(|e| (e.range.start(), std::cmp::Reverse(e.range.end())));
        for i in 0..expansions.len() {
            let (before, rest) = expansions.split_at_mut(i);
            let e = &mut rest[0];
            if let Some(outer) = before.iter().rev().find(|o| {
                o.parts
                    .iter()
                    .any(|(r, _)| r.is_some_and(|r| r.contains_range(e.range)))
            }) {
                e.indent = outer.inner_indent.clone();
                e.inner_indent = format!("{}{}", outer.inner_indent, self.unit());
            }
        }
        // Innermost first: each is spliced into its outer member, or becomes an edit.
        while let Some(i) = (0..expansions.len()).max_by_key(|&i| {
            (
                std::cmp::Reverse(expansions[i].range.len()),
                expansions[i].range.start(),
            )
        }) {
            let mut e = expansions.remove(i);
            // Edits inside its members are applied to them.
            for (range, text) in e.parts.iter_mut() {
                let Some(r) = *range else {
                    continue;
                };
                let (inside, outside): (Vec<_>, Vec<_>) = std::mem::take(&mut self.edits)
                    .into_iter()
                    .partition(|(a, b, _)| {
                        *a >= usize::from(r.start()) && *b <= usize::from(r.end()) && a < b
                            || (*a == *b
                                && *a > usize::from(r.start())
                                && *a < usize::from(r.end()))
                    });
                self.edits = outside;
                if inside.is_empty() {
                    continue;
                }
                let base = usize::from(r.start());
                let mut sorted = inside;
                sorted.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)));
                for (a, b, t) in sorted {
                    text.replace_range(a - base..b - base, &t);
                }
            }
            let rendered = e.text();
            self.edits
                .push((e.range.start().into(), e.range.end().into(), rendered));
        }
    }

    fn line_length_at(&self, offset: usize) -> usize {
        let start = self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.source[offset..]
            .find('\n')
            .map_or(self.source.len(), |i| offset + i);
        self.source[start..end].chars().count()
    }

    /// Inserts `expr` into `list` after `after` (default: the last element; `Some(None)`
    /// means the very start).
    pub fn insert_item(
        &mut self,
        list: &ast::List,
        after: Option<Option<&SyntaxNode>>,
        expr: &Expr,
    ) {
        let items: Vec<SyntaxNode> = list.items().map(|i| i.syntax().clone()).collect();
        let anchor: Option<SyntaxNode> = match after {
            Some(a) => a.cloned(),
            None => items.last().cloned(),
        };
        let open: usize = list
            .l_brack_token()
            .map(|t| t.text_range().end().into())
            .unwrap_or_else(|| list.syntax().text_range().start().into());
        let multi_line = list.syntax().text().contains_char('\n');
        if multi_line {
            let close = list.r_brack_token().map(|t| t.text_range().start().into());
            let (offset, indent) = match &anchor {
                Some(a) => self.new_line_after(a),
                None => self.new_line_inside(open, close, items.first()),
            };
            let text = self.render_item(expr, &indent);
            self.insert(offset, format!("\n{indent}{text}"));
            return;
        }
        let indent = self
            .line_indent(list.syntax().text_range().start().into())
            .to_owned();
        let single = self.render_item(expr, "");
        let inner_indent = self.deeper(&indent);
        let new = self.render_item(expr, &inner_indent);
        let already = self
            .expansions
            .iter()
            .any(|e| e.range == list.syntax().text_range());
        if single.contains('\n') || already {
            // Expand the list, RFC 166 style: one element per line.
            self.expand(list.syntax(), anchor.as_ref(), new);
            return;
        }
        let offset = match &anchor {
            Some(a) => usize::from(a.text_range().end()),
            None => open,
        };
        self.pending.push(InlineInsert {
            container: list.syntax().clone(),
            anchor: anchor.map(|a| a.text_range()),
            offset,
            single,
            expanded: new,
        });
    }

    /// Removes a binding or list element with its same-line trailing comment, and the line
    /// it stood on when it stood alone there.
    pub fn remove(&mut self, node: &SyntaxNode) {
        let start: usize = node.text_range().start().into();
        let end: usize = node.text_range().end().into();
        match (self.starts_line(start), self.end_of_trivia_line(end)) {
            (true, Some(line_end)) => {
                let line_start = self.source[..start].rfind('\n').unwrap_or(0);
                self.edits.push((line_start, line_end, String::new()));
            }
            _ => {
                let before = self.source[..start].trim_end_matches([' ', '\t']).len();
                self.edits.push((before, end, String::new()));
            }
        }
    }

    /// Removes every node of `nodes` (bindings), leaving no empty husk: when every member of
    /// an attribute set that is itself a binding's value goes, the binding goes instead
    /// (`nixos-flake.shares = { "/a" = ...; };` is removed whole, not left as `= { };`), up
    /// to the set a module or the file is made of. Nodes inside another removed node are
    /// covered by it, so any number of removals may meet in one container.
    pub fn remove_all(&mut self, nodes: &[SyntaxNode]) {
        let mut gone: Vec<SyntaxNode> = nodes.to_vec();
        loop {
            let mut grew = false;
            let parents: Vec<SyntaxNode> = gone.iter().filter_map(|n| n.parent()).collect();
            for set in parents {
                if set.kind() != SyntaxKind::NODE_ATTR_SET {
                    continue;
                }
                let Some(binding) = set
                    .parent()
                    .filter(|b| b.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)
                else {
                    continue;
                };
                if gone.contains(&binding) {
                    continue;
                }
                let all_gone = set
                    .children()
                    .filter(|m| is_member(&set, m))
                    .all(|m| gone.contains(&m));
                if all_gone {
                    gone.push(binding);
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        let covered = |n: &SyntaxNode| n.ancestors().skip(1).any(|a| gone.contains(&a));
        let mut outer: Vec<SyntaxNode> = gone.iter().filter(|n| !covered(n)).cloned().collect();
        outer.sort_by_key(|n| n.text_range().start());
        outer.dedup();
        for node in outer {
            self.remove(&node);
        }
    }

    /// Removes `target`, an element of the list or a binding of the attribute set
    /// `container`. When one plain element is left and the container holds no comments, the
    /// container folds back onto one line (`[ x ]`, `{ a = 1; }`), the layout it had before an
    /// element was added to it; an emptied one becomes `[ ]` / `{ }`.
    pub fn remove_from(&mut self, container: &SyntaxNode, target: &SyntaxNode) {
        let members: Vec<SyntaxNode> = container
            .children()
            .filter(|n| is_member(container, n))
            .collect();
        let has_comments = container
            .children_with_tokens()
            .any(|t| t.kind() == SyntaxKind::TOKEN_COMMENT);
        let rest: Vec<&SyntaxNode> = members.iter().filter(|m| *m != target).collect();
        let multi_line = container.text().contains_char('\n');
        let (open, close) = if container.kind() == SyntaxKind::NODE_LIST {
            ("[", "]")
        } else {
            ("{", "}")
        };
        let rec = if container.kind() == SyntaxKind::NODE_ATTR_SET
            && container
                .first_token()
                .is_some_and(|t| t.kind() == SyntaxKind::TOKEN_REC)
        {
            "rec "
        } else {
            ""
        };
        // A module file's own body (`{ ... }: { ... }` at the top of the file) is written over
        // several lines whatever it holds: never folded.
        let file_body = container.ancestors().skip(1).all(|a| {
            matches!(
                a.kind(),
                SyntaxKind::NODE_LAMBDA | SyntaxKind::NODE_PAREN | SyntaxKind::NODE_ROOT
            )
        });
        if multi_line && !has_comments && rest.len() <= 1 && !file_body {
            let inner = rest.first().map(|n| n.text().to_string());
            let text = match &inner {
                Some(t) => format!("{rec}{open} {t} {close}"),
                None => format!("{rec}{open} {close}"),
            };
            // The folded line: what precedes the container on its first line, the container
            // on one line, and what follows it on its last line.
            let start: usize = container.text_range().start().into();
            let end: usize = container.text_range().end().into();
            let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = self.source[end..]
                .find('\n')
                .map_or(self.source.len(), |i| end + i);
            let folded = self.source[line_start..start].chars().count()
                + text.chars().count()
                + self.source[end..line_end].chars().count();
            // Fold when the line fits, or when it is past the width anyway and the removed
            // member spanned several lines: inserting it into the folded form is what
            // expanded the container (see `insert_item`), so folding is the inverse.
            let multi_line_target = target.text().contains_char('\n');
            let fold = inner
                .as_ref()
                .is_none_or(|t| !t.contains('\n') && (folded <= WIDTH || multi_line_target));
            if fold {
                self.replace(container.text_range(), text);
                return;
            }
        }
        self.remove(target);
    }

    /// Adds `name` to a function's pattern after its last entry, in the pattern's layout:
    /// `{ a, name, ... }` inline, or one entry a line. A pattern without entries gets it
    /// first: `{ ... }` becomes `{ name, ... }`, `{ }` becomes `{ name }`.
    pub fn insert_pattern_entry(&mut self, pattern: &ast::Pattern, name: &str) {
        let Some(last) = pattern.pat_entries().last() else {
            if let Some(open) = pattern.syntax().first_token() {
                let text = if pattern.ellipsis_token().is_some() {
                    format!(" {name},")
                } else {
                    format!(" {name}")
                };
                self.insert(open.text_range().end().into(), text);
            }
            return;
        };
        let last_start: usize = last.syntax().text_range().start().into();
        let last_end: usize = last.syntax().text_range().end().into();
        let after_last = &self.source[last_end..];
        let multi_line = pattern.syntax().text().contains_char('\n');
        let indent = self.line_indent(last_start).to_owned();
        // Leading-comma style (`{ self\n, nixpkgs\n}`): the last entry's line starts with its
        // comma, and so does the new one's.
        let before_last = self.source[..last_start].trim_end_matches([' ', '\t']);
        if multi_line && before_last.ends_with(',') {
            let comma = before_last.len() - 1;
            if self.starts_line(comma) {
                // After the entry's trailing comment, which stays the entry's.
                let at = self.end_of_trivia_line(last_end).unwrap_or(last_end);
                self.insert(at, format!("\n{indent}, {name}"));
                return;
            }
        }
        if after_last.trim_start().starts_with(',') {
            let comma_end = last_end + after_last.find(',').expect("comma seen") + 1;
            let text = if multi_line {
                format!("\n{indent}{name},")
            } else {
                format!(" {name},")
            };
            // `nixpkgs, # pinned`: the new line goes after the comment.
            let at = if multi_line {
                self.end_of_trivia_line(comma_end).unwrap_or(comma_end)
            } else {
                comma_end
            };
            self.insert(at, text);
        } else if multi_line {
            self.insert(last_end, format!(",\n{indent}{name}"));
        } else {
            self.insert(last_end, format!(", {name}"));
        }
    }

    /// Surrounds a node with `before` and `after`, such as `({ pkgs, ... }: ` and `)` to make
    /// a plain module a function of `pkgs`; the node's own bytes stay as they are.
    pub fn wrap(&mut self, node: &SyntaxNode, before: &str, after: &str) {
        let range = node.text_range();
        self.insert(range.start().into(), before.to_owned());
        self.insert(range.end().into(), after.to_owned());
    }

    /// Removes a pattern entry with its separator: the inverse of
    /// [`Editor::insert_pattern_entry`].
    pub fn remove_pattern_entry(&mut self, entry: &ast::PatEntry) {
        let start: usize = entry.syntax().text_range().start().into();
        let mut end: usize = entry.syntax().text_range().end().into();
        let after = &self.source[end..];
        let before = self.source[..start].trim_end();
        let before = if after.trim_start().starts_with(',') {
            // `name,`: up to its own comma, from the end of the previous entry's.
            end += after.find(',').expect("comma seen") + 1;
            before.len()
        } else {
            // The last entry: the comma before it goes with it (with the line break before
            // that comma in leading-comma style).
            before
                .strip_suffix(',')
                .map_or(before, |b| b.trim_end_matches([' ', '\t', '\n', '\r']))
                .len()
        };
        self.edits.push((before, end, String::new()));
    }

    /// Replaces an expression node with `expr`, laid out where the node starts.
    pub fn replace_expr(&mut self, node: &SyntaxNode, expr: &Expr) {
        let indent = self
            .line_indent(node.text_range().start().into())
            .to_owned();
        let text = self.render(expr, &indent);
        self.replace(node.text_range(), text);
    }

    /// Applies every edit (from the end of the file) and checks that the result parses with
    /// the strict parser. Overlapping edits are an internal error, reported as a
    /// [`SyntaxError`] without a position.
    pub fn finish(self) -> Result<String, SyntaxError> {
        let (out, _) = self.apply()?;
        nix::check_output(&out)?;
        Ok(out)
    }

    /// Applies the edits and checks the result as Nix's parser would. A small file's output is
    /// checked whole. A large one, whose tree was kept, is checked as its input plus what the
    /// edits changed: the input piece by piece ([`nix::check_strict_chunked`], bounded
    /// memory), then each container an edit touched, on its own ([`nix::check_container`]).
    /// An invalid input is reported as [`Checked::InvalidInput`], an invalid output as
    /// [`Checked::InvalidOutput`].
    pub fn finish_checked(mut self) -> Checked {
        let source = self.source;
        let tree = self.tree.clone();
        let started = self.take_input_verdict();
        let (out, edits) = match self.apply() {
            Ok(x) => x,
            Err(e) => return Checked::InvalidOutput(e),
        };
        let whole = |out: String| match nix::check_output(&out) {
            Ok(()) => verdict(source, out),
            Err(e) => match nix::check_strict(source) {
                Err(i) => Checked::InvalidInput(i),
                Ok(()) => Checked::InvalidOutput(e),
            },
        };
        let tree = match tree {
            Some(t) if source.len() >= LARGE_FILE_BYTES => t,
            _ => return whole(out),
        };
        let input = started.unwrap_or_else(|| nix::check_strict_chunked(&tree, source));
        if let Err(e) = input {
            return Checked::InvalidInput(e);
        }
        match check_changed_containers(&tree, source, &edits) {
            Some(Ok(())) => Checked::Ok(out),
            Some(Err(e)) => Checked::InvalidOutput(e),
            // An edit at the top of the file: check it whole.
            None => whole(out),
        }
    }

    /// The output text, and the edits that made it (start, end, replacement; in the
    /// source's offsets).
    fn apply(mut self) -> Result<(String, Vec<ByteEdit>), SyntaxError> {
        self.resolve_inline();
        self.resolve_expansions();
        // Applied from the end of the file; insertions at one offset land in the order they
        // were recorded (the one recorded first is applied last, so it ends up first).
        // A file written with CRLF line ends gets them in the new lines too.
        let crlf = uses_crlf(self.source);
        let source = self.source;
        let mut edits: Vec<(usize, usize, usize, String)> = self
            .edits
            .into_iter()
            .enumerate()
            .map(|(seq, (start, end, text))| {
                let text = if crlf && text.contains('\n') {
                    text.replace("\r\n", "\n").replace('\n', "\r\n")
                } else {
                    text
                };
                // An insertion between a line's `\r` and its `\n` (at the end of a line, or
                // after a line comment, whose token holds the `\r`) goes before the `\r`: the
                // break stays whole.
                let (start, end) = if start == end
                    && start > 0
                    && source.as_bytes()[start - 1] == b'\r'
                    && source.as_bytes().get(start) == Some(&b'\n')
                {
                    (start - 1, end - 1)
                } else {
                    (start, end)
                };
                (start, end, seq, text)
            })
            .collect();
        edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
        // Removals that meet (two owned items going, each with the line break before it;
        // a marker comment and the binding after it) remove their union: they change nothing
        // that one of them did not, so they do not conflict.
        let mut merged: Vec<(usize, usize, usize, String)> = Vec::with_capacity(edits.len());
        for edit in edits {
            match merged.last_mut() {
                Some(last)
                    if edit.3.is_empty()
                        && last.3.is_empty()
                        && edit.1 > last.0
                        && edit.0 < last.1.max(edit.1) =>
                {
                    last.0 = last.0.min(edit.0);
                    last.1 = last.1.max(edit.1);
                }
                _ => merged.push(edit),
            }
        }
        let edits = merged;
        let mut out = self.source.to_owned();
        let mut limit = usize::MAX;
        for (start, end, _, text) in &edits {
            if *end > limit {
                return Err(SyntaxError {
                    position: Some(crate::diag::Position::of_offset(self.source, *start)),
                    message: format!(
                        "internal error: two edits overlap (bytes {start}..{end} and one from {limit}: {:?})",
                        &self.source[*start..(*end).min(self.source.len())].chars().take(60).collect::<String>()
                    ),
                });
            }
            out.replace_range(*start..*end, text);
            limit = *start;
        }
        let applied = edits.into_iter().map(|(s, e, _, t)| (s, e, t)).collect();
        Ok((out, applied))
    }
}

/// True when most line ends of `source` are CRLF.
fn uses_crlf(source: &str) -> bool {
    let crlf = source.matches("\r\n").count();
    crlf > 0 && crlf * 2 > source.matches('\n').count()
}

/// What Nix's parser checks beyond the grammar (every variable bound, no attribute defined
/// twice; [`nix::scope`]) on the output of a small file: an output Nix would refuse is not
/// returned. When the input already has the problem, the input is what is reported.
fn verdict(source: &str, out: String) -> Checked {
    let refused = |text: &str| {
        let parse = rnix::Root::parse(text);
        nix::scope::check(parse.tree().syntax(), text).err()
    };
    match refused(&out) {
        None => Checked::Ok(out),
        Some(e) => match refused(source) {
            Some(i) => Checked::InvalidInput(i),
            None => Checked::Refused(e),
        },
    }
}

/// A byte edit of the source: `(start, end, replacement)`.
type ByteEdit = (usize, usize, String);

/// From this size on, a file's output is checked as its input plus the edited containers.
const LARGE_FILE_BYTES: usize = 64 * 1024;

/// The outcome of [`Editor::finish_checked`].
#[derive(Debug)]
pub enum Checked {
    /// The output, checked.
    Ok(String),
    /// The input itself does not pass the strict parser.
    InvalidInput(SyntaxError),
    /// The edited output does not parse (an internal error).
    InvalidOutput(SyntaxError),
    /// The edited output parses, but Nix would refuse it (an undefined variable, an attribute
    /// defined twice): nothing is written.
    Refused(SyntaxError),
}

/// Syntax kinds that open and close with their own delimiters: one term wherever they stand.
fn is_self_delimited(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::NODE_ATTR_SET
            | SyntaxKind::NODE_LIST
            | SyntaxKind::NODE_PAREN
            | SyntaxKind::NODE_PATTERN
    )
}

/// Largest container checked whole when an edit changed it; in a larger one only the members
/// an edit touched (or the members an edit inserted) are checked.
const CONTAINER_BYTES: usize = 16 * 1024;

/// What an edit changed, as a piece that can be checked on its own.
#[derive(Clone, PartialEq, Eq)]
enum Unit {
    /// A small self-delimited container, checked whole with the edits inside it.
    Container(TextRange, SyntaxKind),
    /// One member of a large list or set, checked as `[ m ]` / `{ m }` with its edits.
    Member(TextRange, SyntaxKind),
    /// Text inserted or replaced between the members of a large list or set: checked alone,
    /// as members.
    Between(usize, SyntaxKind),
}

/// Checks what the edits changed, each piece on its own (the input itself passed the strict
/// check): the smallest self-delimited container holding an edit when it is small, else the
/// member of it the edit is inside, else the members the edit wrote. `None` when an edit is
/// not inside any self-delimited container, so the caller checks the whole output.
fn check_changed_containers(
    root: &SyntaxNode,
    source: &str,
    edits: &[ByteEdit],
) -> Option<Result<(), SyntaxError>> {
    let mut units: Vec<Unit> = Vec::new();
    for (index, (start, end, _)) in edits.iter().enumerate() {
        let range = TextRange::new((*start as u32).into(), (*end as u32).into());
        let covering = match root.covering_element(range) {
            rowan::NodeOrToken::Node(n) => n,
            rowan::NodeOrToken::Token(t) => t.parent()?,
        };
        let container = covering.ancestors().find(|n| {
            let r = n.text_range();
            is_self_delimited(n.kind())
                && ((r.start() < range.start() && range.end() < r.end()) || r == range)
        })?;
        let unit = if usize::from(container.text_range().len()) <= CONTAINER_BYTES
            || container.text_range() == range
            || !matches!(
                container.kind(),
                SyntaxKind::NODE_ATTR_SET | SyntaxKind::NODE_LIST
            ) {
            Unit::Container(container.text_range(), container.kind())
        } else {
            let members: Vec<SyntaxNode> = container
                .children()
                .filter(|m| is_member(&container, m))
                .collect();
            let inside = |offset: TextSize, m: &SyntaxNode| {
                m.text_range().start() < offset && offset < m.text_range().end()
            };
            match members
                .iter()
                .find(|m| m.text_range().contains_range(range))
            {
                Some(m) => Unit::Member(m.text_range(), container.kind()),
                None if members
                    .iter()
                    .any(|m| inside(range.start(), m) || inside(range.end(), m)) =>
                {
                    Unit::Container(container.text_range(), container.kind())
                }
                None => Unit::Between(index, container.kind()),
            }
        };
        if !units.contains(&unit) {
            units.push(unit);
        }
    }
    // A unit inside another unit's range is checked as part of it.
    let range_of = |u: &Unit| match u {
        Unit::Container(r, _) | Unit::Member(r, _) => Some(*r),
        Unit::Between(..) => None,
    };
    let outer: Vec<&Unit> = units
        .iter()
        .filter(|u| {
            let Some(r) = range_of(u) else { return true };
            !units
                .iter()
                .any(|o| o != *u && range_of(o).is_some_and(|or| or != r && or.contains_range(r)))
        })
        .collect();
    let total: usize = outer
        .iter()
        .filter_map(|u| range_of(u))
        .map(|r| usize::from(r.len()))
        .sum();
    if total * 2 > usize::from(root.text_range().len()) {
        return None;
    }
    let with_edits = |r: TextRange| {
        let (cs, ce) = (usize::from(r.start()), usize::from(r.end()));
        // Edits are listed from the end of the file, so offsets before them stay valid.
        // From the source, not the tree: slicing a large tree's text walks all its tokens.
        let mut text = source[usize::from(r.start())..usize::from(r.end())].to_owned();
        for (start, end, new) in edits {
            if *start >= cs && *end <= ce {
                text.replace_range(start - cs..end - cs, new);
            }
        }
        text
    };
    let wrap = |kind: SyntaxKind, body: &str| match kind {
        SyntaxKind::NODE_LIST => (format!("[ {body} ]"), SyntaxKind::NODE_LIST),
        _ => (format!("{{ {body} }}"), SyntaxKind::NODE_ATTR_SET),
    };
    for unit in outer {
        let (text, kind) = match unit {
            Unit::Container(r, kind) => {
                let mut text = with_edits(*r);
                if *kind == SyntaxKind::NODE_PATTERN {
                    text.push_str(": null");
                }
                (text, *kind)
            }
            Unit::Member(r, kind) => wrap(*kind, &with_edits(*r)),
            Unit::Between(index, kind) => wrap(*kind, &edits[*index].2),
        };
        if let Err(e) = nix::check_container(&text, kind) {
            return Some(Err(e));
        }
    }
    Some(Ok(()))
}

/// True for the nodes that are a container's members: list elements, or bindings and
/// `inherit`s of an attribute set.
fn is_member(container: &SyntaxNode, node: &SyntaxNode) -> bool {
    match container.kind() {
        SyntaxKind::NODE_LIST => true,
        _ => matches!(
            node.kind(),
            SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_INHERIT
        ),
    }
}

/// The file's indentation unit: a tab, or the smallest indentation step seen (default two
/// spaces).
pub fn detect_indent_unit(source: &str) -> String {
    indent_unit(
        source
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(INDENT_SAMPLE_LINES)
            .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()]),
    )
}

/// How many indented lines are enough to learn a file's indentation.
const INDENT_SAMPLE_LINES: usize = 400;

/// The indentation of each code line of `root` (the text after the last line break of each
/// whitespace token that holds one), for the first [`INDENT_SAMPLE_LINES`] lines.
fn code_indents(root: &SyntaxNode) -> impl Iterator<Item = String> + '_ {
    root.preorder_with_tokens()
        .filter_map(|event| match event {
            rowan::WalkEvent::Enter(rowan::NodeOrToken::Token(t))
                if t.kind() == rnix::SyntaxKind::TOKEN_WHITESPACE =>
            {
                let text = t.text();
                text.rfind('\n').map(|i| text[i + 1..].to_owned())
            }
            _ => None,
        })
        .take(INDENT_SAMPLE_LINES)
}

/// The indentation unit of a file, from the leading whitespace of its lines: a tab when most
/// indented lines start with one, else the smallest step by which indentation grows (2 when
/// nothing grows).
fn indent_unit<S: AsRef<str>>(indents: impl Iterator<Item = S>) -> String {
    let mut tabs = 0;
    let mut spaces = 0;
    let mut smallest: Option<usize> = None;
    let mut previous = 0usize;
    for indent in indents {
        let indent = indent.as_ref();
        if indent.starts_with('\t') {
            tabs += 1;
            continue;
        }
        let n = indent.len() - indent.trim_start_matches(' ').len();
        if n > 0 {
            spaces += 1;
        }
        if n > previous {
            let step = n - previous;
            smallest = Some(smallest.map_or(step, |s| s.min(step)));
        }
        previous = n;
    }
    if tabs > spaces {
        "\t".to_owned()
    } else {
        " ".repeat(smallest.unwrap_or(2).clamp(1, 8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::ast::{Entry, Param};
    use rowan::ast::AstNode;

    fn first<N: AstNode<Language = rnix::NixLanguage>>(text: &str) -> N {
        rnix::Root::parse(text)
            .syntax()
            .descendants()
            .find_map(N::cast)
            .expect("node present")
    }

    fn overlay() -> Expr {
        Expr::Lambda(
            Param::Ident("final".into()),
            Box::new(Expr::Lambda(
                Param::Ident("prev".into()),
                Box::new(Expr::Attrs(vec![Entry::Binding(
                    vec!["fio".into()],
                    Expr::apply(
                        Expr::path_of("prev.fio.overrideAttrs"),
                        Expr::Attrs(vec![Entry::Binding(
                            vec!["src".into()],
                            Expr::path_of("inputs.fio-src"),
                        )]),
                    ),
                )])),
            )),
        )
    }

    #[test]
    fn pattern_entries_go_after_the_last_or_first_into_an_empty_pattern() {
        for (src, want) in [
            (
                "{ self, nixpkgs, ... }: x",
                "{ self, nixpkgs, fio-src, ... }: x",
            ),
            ("{ self, nixpkgs }: x", "{ self, nixpkgs, fio-src }: x"),
            (
                "{\n  self,\n  nixpkgs,\n  ...\n}: x",
                "{\n  self,\n  nixpkgs,\n  fio-src,\n  ...\n}: x",
            ),
            ("{ ... }: x", "{ fio-src, ... }: x"),
            ("{ }: x", "{ fio-src }: x"),
        ] {
            let pattern: ast::Pattern = first(src);
            let mut ed = Editor::new(src);
            ed.insert_pattern_entry(&pattern, "fio-src");
            let out = ed.finish().unwrap();
            assert_eq!(out, want);
            // And back: removing the entry restores the bytes.
            let entry = first::<ast::Pattern>(&out)
                .pat_entries()
                .find(|e| e.syntax().text() == "fio-src")
                .unwrap();
            let mut ed = Editor::new(&out);
            ed.remove_pattern_entry(&entry);
            assert_eq!(ed.finish().unwrap(), src);
        }
    }

    #[test]
    fn wrap_keeps_the_node_bytes() {
        let src = "[\n  { a = 1; # kept\n  }\n]";
        let set: ast::AttrSet = first(src);
        let mut ed = Editor::new(src);
        ed.wrap(set.syntax(), "({ pkgs, ... }: ", ")");
        assert_eq!(
            ed.finish().unwrap(),
            "[\n  ({ pkgs, ... }: { a = 1; # kept\n  })\n]"
        );
    }

    #[test]
    fn multi_line_list_insert_then_remove_restores_bytes() {
        let src = "{\n  xs = [\n    a # first\n    b\n  ];\n}\n";
        let list: ast::List = first(src);
        let mut ed = Editor::new(src);
        ed.insert_item(&list, None, &overlay());
        let out = ed.finish().unwrap();
        assert_eq!(
            out,
            "{\n  xs = [\n    a # first\n    b\n    (final: prev: { fio = prev.fio.overrideAttrs { src = inputs.fio-src; }; })\n  ];\n}\n"
        );
        let list: ast::List = first(&out);
        let last = list.items().last().unwrap();
        let mut ed = Editor::new(&out);
        ed.remove(last.syntax());
        assert_eq!(ed.finish().unwrap(), src);
    }

    #[test]
    fn inline_lists_expand_when_they_outgrow_the_line() {
        let src = "{\n  nixpkgs.overlays = [ nixos-flake.overlays.default ];\n}\n";
        let list: ast::List = first(src);
        let mut ed = Editor::new(src);
        ed.insert_item(&list, None, &overlay());
        let out = ed.finish().unwrap();
        assert_eq!(
            out,
            "{\n  nixpkgs.overlays = [\n    nixos-flake.overlays.default\n    (final: prev: { fio = prev.fio.overrideAttrs { src = inputs.fio-src; }; })\n  ];\n}\n"
        );
    }

    #[test]
    fn tabs_are_followed() {
        let src = "{\n\tinputs = {\n\t\ta.url = \"x\";\n\t};\n}\n";
        let set: ast::AttrSet = rnix::Root::parse(src)
            .syntax()
            .descendants()
            .filter_map(ast::AttrSet::cast)
            .nth(1)
            .unwrap();
        let mut ed = Editor::new(src);
        ed.insert_binding(
            &set,
            None,
            &["b".into()],
            &Expr::Attrs(vec![
                Entry::Binding(vec!["url".into()], Expr::str("path:/x")),
                Entry::Binding(vec!["flake".into()], Expr::Bool(false)),
            ]),
        );
        let out = ed.finish().unwrap();
        assert_eq!(
            out,
            "{\n\tinputs = {\n\t\ta.url = \"x\";\n\t\tb = {\n\t\t\turl = \"path:/x\";\n\t\t\tflake = false;\n\t\t};\n\t};\n}\n"
        );
    }

    #[test]
    fn output_that_does_not_parse_is_refused() {
        let src = "{ a = 1; }";
        let mut ed = Editor::new(src);
        ed.insert(1, " b = ".into());
        // `{ b =  a = 1; }`: the strict parser's own error, at the second `=` (not an internal
        // error such as overlapping edits, which is_err() would have let through too).
        let err = ed.finish().unwrap_err();
        assert_eq!(
            err.position.map(|p| (p.line, p.column)),
            Some((1, 8)),
            "{err}"
        );
        assert!(err.message.starts_with("expected ';'"), "{err}");
    }

    #[test]
    fn indent_units() {
        assert_eq!(
            detect_indent_unit("{\n    a = {\n        b = 1;\n    };\n}\n"),
            "    "
        );
        assert_eq!(detect_indent_unit("{\n\ta = 1;\n}\n"), "\t");
        assert_eq!(detect_indent_unit("{ a = 1; }"), "  ");
    }
}

#[cfg(test)]
mod container_checks {
    use super::*;
    use rowan::ast::AstNode;

    /// A list too large to be checked whole, and the tree of the file holding it.
    fn large_list() -> (String, SyntaxNode) {
        let mut text = String::from("{\n  xs = [\n");
        for i in 0..3000 {
            text.push_str(&format!("    (f {i}) # item {i}\n"));
        }
        text.push_str("  ];\n}\n");
        let root = rnix::Root::parse(&text).tree().syntax().clone();
        (text, root)
    }

    #[test]
    fn edits_in_a_large_container_are_checked_where_they_are() {
        let (text, root) = large_list();
        let after_item = text.find("(f 10)").unwrap() + "(f 10)".len();
        // Inserted between members: checked as list elements.
        let good = vec![(after_item, after_item, "\n    (g 1)".to_owned())];
        assert_eq!(check_changed_containers(&root, &text, &good), Some(Ok(())));
        let bad = vec![(after_item, after_item, "\n    g: 1".to_owned())];
        assert!(matches!(
            check_changed_containers(&root, &text, &bad),
            Some(Err(_))
        ));
        // Inside one member: that member is checked.
        let inside = text.find("(f 20)").unwrap() + 1;
        let bad = vec![(inside, inside + 1, "f =".to_owned())];
        assert!(matches!(
            check_changed_containers(&root, &text, &bad),
            Some(Err(_))
        ));
        let good = vec![(inside, inside + 1, "g".to_owned())];
        assert_eq!(check_changed_containers(&root, &text, &good), Some(Ok(())));
        // Several edits meet in one large container.
        let both = vec![
            (inside, inside + 1, "g".to_owned()),
            (after_item, after_item, "\n    (g 1)".to_owned()),
        ];
        assert_eq!(check_changed_containers(&root, &text, &both), Some(Ok(())));
    }
}
