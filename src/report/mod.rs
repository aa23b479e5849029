//! What a user reads: the console table, its Markdown twin and the plots, drawn from one in-memory
//! [`Results`] (made by the experiment layer, [`crate::experiment`]). `simulate` builds it
//! from the experiment it just ran; `report` reads it back from the CSV files through the
//! store.

pub(crate) mod console;
pub(crate) mod plot;
pub(crate) mod summary;
