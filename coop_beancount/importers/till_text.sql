-- How a till file's text is read into the relation `till` of till.sql, when DuckDB's CSV
-- reader cannot read its dates and amounts itself (or the file is Parquet): the rules of
-- what a date and an amount may look like.
--
-- `coop import till` first has DuckDB's CSV reader read the dates and amounts (typed
-- columns, the fast way). That reader accepts exactly what the casts below accept, or
-- refuses the whole file; when it refuses, the statement runs again over this relation,
-- which reads every column as text (`till_text`, each column as written, `filename` the
-- file it came from) and makes a date or an amount that cannot be read NULL, so that
-- till.sql counts its line as 'bad' and the import lists it by file and row.
--
--   $date_format            strptime codes of sold_at; ISO dates are read in any case
--   $decimal, $thousands    how amounts are written (thousands '' when there are none)
--
-- Spaces around a date or an amount are ignored. A discount that cannot be read counts
-- as none.

SELECT
    owner,
    coalesce(try_strptime(trim(sold_at), $date_format),
             try_cast(trim(sold_at) AS TIMESTAMP)) AS sold_at,
    department,
    try_cast(replace(replace(trim(amount), $thousands, ''), $decimal, '.')
             AS DECIMAL(18, 4)) AS amount,
    coalesce(try_cast(replace(replace(trim(discount), $thousands, ''), $decimal, '.')
                      AS DECIMAL(18, 4)), 0) AS discount,
    kind,
    status,
    filename
FROM till_text
