-- Each owner's purchases per period, from a point of sale's till lines.
--
-- The one statement `coop import till` runs (coop_beancount/importers/till.py), kept here so
-- that a treasurer or an auditor can read exactly what counts as an owner's patronage.
-- It reads the relation `till`: one row per till line, every column text, renamed to the
-- names below by import.yaml's `columns:` (a view over the CSV or Parquet files):
--
--   owner       the owner (member) number rung up with the sale; empty for none
--   sold_at     date and time of the line
--   department  the line's department
--   amount      the line's amount (its total after any item discount)
--   discount    a discount taken off the line, if the export has such a column
--   kind        what the line is (CORE-POS trans_type: I item, D department ring,
--               S discount, T tender, A tax, ...), if the export says
--   status      the line's status (CORE-POS trans_status: V void, R return, X cancelled)
--
-- and the relation `owners` (owner, key, joined, left_on): the books' members, by owner
-- number. Parameters ($name) come from import.yaml and the books:
--
--   $date_format            strptime codes of sold_at; ISO dates are read in any case
--   $decimal, $thousands    how amounts are written (thousands '' when there are none)
--   $sale_kinds             kinds that are purchases (all lines when there is no kind)
--   $discount_kinds         kinds that are discounts: subtracted, whatever their sign
--   $return_statuses        statuses of returns: subtracted, whatever their sign
--   $void_statuses          statuses of lines left out altogether
--   $excluded_departments   departments the bylaws leave out of patronage
--   $non_owners             owner numbers that mean "no owner" (and an empty one)
--   $first_month, $months   periods of $months months (1, 3 or 12), counted from the
--                           fiscal year's first month
--
-- Rules, in order: a line that is not a purchase or discount kind, has a void status or is
-- in an excluded department is not counted. A counted line whose date or amount cannot be
-- read is 'bad' (the import then lists the rows and writes nothing). Its owner is then a
-- non-owner (no number, or one of $non_owners), 'unknown' (a number the books do not
-- know), 'inactive' (a member, but not on the day of the sale: before joining or after
-- leaving) or an 'owner'. Non-owner, unknown and inactive lines are the non-member
-- business. Owner numbers are compared as numbers when they are digits (0042 is 42); the
-- spellings seen are returned so that one number written two ways is caught.
--
-- One row per class, owner number and period: what the import writes, lists and checks.

WITH lines AS (
    SELECT
        trim(owner) AS owner_text,
        coalesce(CAST(try_cast(trim(owner) AS BIGINT) AS VARCHAR), trim(owner)) AS owner_id,
        coalesce(try_strptime(trim(sold_at), $date_format),
                 try_cast(trim(sold_at) AS TIMESTAMP)) AS ts,
        try_cast(replace(replace(trim(amount), $thousands, ''), $decimal, '.')
                 AS DECIMAL(18, 4)) AS number,
        coalesce(try_cast(replace(replace(trim(discount), $thousands, ''), $decimal, '.')
                          AS DECIMAL(18, 4)), 0) AS discount_number,
        kind,
        coalesce(trim(status), '') AS status
    FROM till
    WHERE (kind IS NULL OR list_contains($sale_kinds, trim(kind))
           OR list_contains($discount_kinds, trim(kind)))
      AND NOT list_contains($void_statuses, coalesce(trim(status), ''))
      AND NOT list_contains($excluded_departments, coalesce(trim(department), ''))
),
counted AS (
    SELECT
        lines.owner_text,
        lines.owner_id,
        lines.ts,
        CASE
            WHEN list_contains($discount_kinds, trim(lines.kind))
                 OR list_contains($return_statuses, lines.status)
                THEN -abs(lines.number)
            ELSE lines.number
        END - abs(lines.discount_number) AS signed,
        (year(lines.ts) * 12 + month(lines.ts) - $first_month) // $months AS period,
        CASE
            WHEN lines.ts IS NULL OR lines.number IS NULL THEN 'bad'
            WHEN lines.owner_id = '' OR list_contains($non_owners, lines.owner_id)
                THEN 'non-owner'
            WHEN owners.key IS NULL THEN 'unknown'
            WHEN CAST(lines.ts AS DATE) < owners.joined
                 OR CAST(lines.ts AS DATE) > owners.left_on THEN 'inactive'
            ELSE 'owner'
        END AS class,
        owners.key
    FROM lines LEFT JOIN owners ON owners.owner = lines.owner_id
)
SELECT
    class,
    owner_id,
    key,
    period,
    sum(signed) AS total,
    count(*) AS lines,
    min(owner_text) AS first_spelling,
    max(owner_text) AS last_spelling,
    CAST(min(ts) AS DATE) AS first_day,
    CAST(max(ts) AS DATE) AS last_day
FROM counted
GROUP BY class, owner_id, key, period
ORDER BY period, class, key, owner_id
