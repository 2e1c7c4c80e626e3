//! A query as text and bound values, the same for every database and
//! driver: placeholders are written `$1`, `$2`, … in the order the values
//! were bound, which PostgreSQL reads natively and SQLite as numbered
//! parameters. Built once, it runs through sqlx (`writes::sql_dialect`) or on
//! the SQLite writer's own connection (`sqlite::writer`).

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
    /// NULLs keep their column's type: PostgreSQL refuses a text NULL for
    /// an integer column.
    NullText,
    NullInt,
    /// A whole column of values in one parameter, for PostgreSQL's
    /// `UNNEST` (one statement text whatever the number of rows, so it is
    /// prepared once); SQLite takes none.
    Array(SqlArray),
}

/// The values of one column, for `SqlValue::Array`.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlArray {
    Text(Vec<String>),
    OptText(Vec<Option<String>>),
    Int(Vec<i64>),
    OptInt(Vec<Option<i64>>),
    OptBytes(Vec<Option<Vec<u8>>>),
    Bool(Vec<bool>),
}

/// A driver's arguments that can (or, saying so, cannot) bind an array.
pub trait ArrayArguments {
    fn add_array(&mut self, array: SqlArray) -> Result<(), sqlx::error::BoxDynError>;
}

impl SqlValue {
    pub fn opt_text(value: Option<String>) -> Self {
        value.map_or(SqlValue::NullText, SqlValue::Text)
    }

    pub fn opt_int(value: Option<i64>) -> Self {
        value.map_or(SqlValue::NullInt, SqlValue::Int)
    }
}

/// Writes `n` in decimal without the formatting machinery: the SQLite
/// writer builds a statement per row, so this runs for every bound value.
fn push_decimal(sql: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(sql, n / 10);
    }
    sql.push(char::from(b'0' + (n % 10) as u8));
}

#[derive(Debug, Clone, Default)]
pub struct SqlQuery {
    sql: String,
    values: Vec<SqlValue>,
}

impl SqlQuery {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Appends query text (never a value: those are bound).
    pub fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    /// Binds a value as its next placeholder.
    pub fn value(&mut self, value: SqlValue) {
        self.values.push(value);
        self.sql.push('$');
        push_decimal(&mut self.sql, self.values.len());
    }

    pub fn text(&mut self, value: String) {
        self.value(SqlValue::Text(value));
    }

    pub fn int(&mut self, value: i64) {
        self.value(SqlValue::Int(value));
    }

    pub fn opt_text(&mut self, value: Option<String>) {
        self.value(SqlValue::opt_text(value));
    }

    pub fn opt_int(&mut self, value: Option<i64>) {
        self.value(SqlValue::opt_int(value));
    }

    pub fn array(&mut self, value: SqlArray) {
        self.value(SqlValue::Array(value));
    }

    pub fn bytes(&mut self, value: Vec<u8>) {
        self.value(SqlValue::Bytes(value));
    }

    /// Appends `other`, its placeholders renumbered to follow this query's
    /// (statement texts here hold no `$` but placeholders).
    pub fn append(&mut self, other: SqlQuery) {
        let offset = self.values.len();
        let mut rest = other.sql.as_str();
        while let Some(at) = rest.find('$') {
            self.sql.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = rest[..digits].parse().unwrap_or(0);
            push_decimal(&mut self.sql, n + offset);
            rest = &rest[digits..];
        }
        self.sql.push_str(rest);
        self.values.extend(other.values);
    }

    /// The text and the values, in placeholder order.
    pub fn into_parts(self) -> (String, Vec<SqlValue>) {
        (self.sql, self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let mut q = SqlQuery::new("SELECT x FROM t WHERE a = ");
        q.text("one".into());
        q.push(" AND b IN (");
        q.int(2);
        q.push(", ");
        q.opt_int(None);
        q.push(")");
        let (sql, values) = q.into_parts();
        assert_eq!(sql, "SELECT x FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(
            values,
            [
                SqlValue::Text("one".into()),
                SqlValue::Int(2),
                SqlValue::NullInt
            ]
        );

        // Past one digit, as a many-row INSERT binds hundreds.
        let mut many = SqlQuery::new("");
        (0..120).for_each(|n| many.int(n));
        let (sql, _) = many.into_parts();
        assert!(sql.starts_with("$1$2$3$4$5$6$7$8$9$10$11"), "{sql}");
        assert!(sql.ends_with("$99$100$101$102$103$104$105$106$107$108$109$110$111$112$113$114$115$116$117$118$119$120"), "{sql}");
    }

    #[test]
    fn an_appended_query_binds_after_the_first() {
        let mut first = SqlQuery::new("WITH a AS (UPDATE t SET x = ");
        first.int(1);
        first.push("), b AS (");
        let mut second = SqlQuery::new("SELECT ");
        (0..11).for_each(|n| second.int(10 + n));
        second.push(" FROM u");
        first.append(second);
        first.push(") SELECT 1");
        let (sql, values) = first.into_parts();
        assert_eq!(
            sql,
            "WITH a AS (UPDATE t SET x = $1), b AS (SELECT $2$3$4$5$6$7$8$9$10$11$12 FROM u) SELECT 1"
        );
        assert_eq!(values.len(), 12);
        assert_eq!(values[1], SqlValue::Int(10));
    }
}
