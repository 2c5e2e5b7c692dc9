//! Calendar months on Unix milliseconds (UTC, proleptic Gregorian), for due dates that
//! fall on the same day of the month however long the months between them: Howard
//! Hinnant's `days_from_civil` and `civil_from_days`.

const DAY_MS: u64 = 86_400_000;

/// `ms` plus `months` calendar months, at the same time of day. A day past the end of
/// the target month becomes its last day (January 31 plus a month is February 28, or
/// 29).
pub fn add_months(ms: u64, months: u32) -> u64 {
    let (days, time_of_day) = (ms / DAY_MS, ms % DAY_MS);
    let (year, month, day) = civil_from_days(days as i64);
    let index = year * 12 + i64::from(month - 1) + i64::from(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let day = day.min(days_in_month(year, month));
    days_from_civil(year, month, day) as u64 * DAY_MS + time_of_day
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of the date `year-month-day`.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `(year, month, day)` that is `days` since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(year: i64, month: u32, day: u32) -> u64 {
        days_from_civil(year, month, day) as u64 * DAY_MS
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [0, 59, 60, 11_016, 11_017, 21_915, 36_524] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn months_keep_the_day_or_end_the_month() {
        let noon = DAY_MS / 2;
        assert_eq!(add_months(ms(2030, 1, 1) + noon, 3), ms(2030, 4, 1) + noon);
        assert_eq!(add_months(ms(2030, 11, 15), 3), ms(2031, 2, 15));
        assert_eq!(add_months(ms(2000, 1, 31), 1), ms(2000, 2, 29));
        assert_eq!(add_months(ms(2001, 1, 31), 1), ms(2001, 2, 28));
        assert_eq!(add_months(ms(2030, 1, 1), 120), ms(2040, 1, 1));
        assert_eq!(add_months(ms(2030, 1, 1), 0), ms(2030, 1, 1));
    }
}
