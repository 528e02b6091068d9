//! Spider text-to-SQL (to be written).
