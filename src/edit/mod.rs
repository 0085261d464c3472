//! Editing existing flakes through the syntax tree.
//!
//! [`editor`] is the single place where source text changes (layout decided there);
//! [`flake`] locates what a configuration flake is made of; [`overlay`] implements
//! `overlay add|remove|list`; [`reconcile`] is `generate` over an existing flake. Every edit
//! keeps comments and code nixgen does not own byte for byte, and nothing is returned that
//! does not parse.

pub mod editor;
pub mod flake;
pub mod overlay;
pub mod reconcile;

pub use reconcile::{reconcile, Reconciled};
