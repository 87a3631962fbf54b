//! Simple charts drawn as inline SVG on the server (no script, no remote library): the insights
//! page's weekly history and its top artists.

use std::fmt::Write as _;

use soiree_insights::Week;

/// The chart's colours, one per kind of signal (the stylesheet's accent, second accent and "ok").
const LIKED: &str = "#ff5f8f";
const PLAYED: &str = "#ffb347";
const VOTED: &str = "#5fd39a";

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// The series a weekly chart draws, with their names (in the page's language).
pub(crate) struct Legend<'a> {
    pub(crate) liked: &'a str,
    pub(crate) played: &'a str,
    pub(crate) voted_up: &'a str,
    /// Titles the whole chart (for screen readers).
    pub(crate) title: &'a str,
}

/// Stacked bars, one per week (likes, plays in rooms, votes up), with the week's date under
/// every other bar and a legend.
pub(crate) fn weekly_bars(weeks: &[Week], legend: &Legend<'_>) -> String {
    let (width, height, bottom, left) = (640u32, 220u32, 190u32, 36u32);
    let total = |week: &Week| week.counts.score();
    let highest = weeks.iter().map(total).max().unwrap_or(0).max(1);
    let slot = (width - left) / u32::try_from(weeks.len().max(1)).unwrap_or(1);
    let bar = slot.saturating_sub(8).max(4);
    let scale = |value: u32| value * (bottom - 20) / highest;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(legend.title)
    );
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="currentColor" stroke-opacity="0.3"/><text x="{}" y="20" font-size="11" text-anchor="end" fill="currentColor">{highest}</text>"#,
        left - 6
    );
    for (index, week) in weeks.iter().enumerate() {
        let x = left + u32::try_from(index).unwrap_or(0) * slot + 4;
        let mut top = bottom;
        for (value, colour, name) in [
            (week.counts.liked, LIKED, legend.liked),
            (week.counts.played, PLAYED, legend.played),
            (week.counts.voted_up, VOTED, legend.voted_up),
        ] {
            let tall = scale(value);
            if tall == 0 {
                continue;
            }
            top -= tall;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{top}" width="{bar}" height="{tall}" fill="{colour}"><title>{} · {}: {value}</title></rect>"#,
                week.starts.format("%Y-%m-%d"),
                escape(name)
            );
        }
        if index % 2 == 1 || weeks.len() <= 6 {
            let _ = write!(
                svg,
                r#"<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="currentColor">{}</text>"#,
                x + bar / 2,
                bottom + 16,
                week.starts.format("%d/%m")
            );
        }
    }
    svg.push_str("</svg>");
    let mut keys = String::from(r#"<p class="legend">"#);
    for (colour, name) in [
        (LIKED, legend.liked),
        (PLAYED, legend.played),
        (VOTED, legend.voted_up),
    ] {
        let _ = write!(
            keys,
            r#"<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="{colour}"/></svg> {}</span> "#,
            escape(name)
        );
    }
    keys.push_str("</p>");
    svg + &keys
}

/// Horizontal bars, one per named value, the longest for the highest.
pub(crate) fn ranked_bars(items: &[(String, u32)], title: &str) -> String {
    let (width, row) = (640u32, 26u32);
    let height = row * u32::try_from(items.len()).unwrap_or(0) + 4;
    let highest = items
        .iter()
        .map(|(_, value)| *value)
        .max()
        .unwrap_or(0)
        .max(1);
    let (label, space) = (200u32, 400u32);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    for (index, (name, value)) in items.iter().enumerate() {
        let y = u32::try_from(index).unwrap_or(0) * row + 2;
        let long = (value * space / highest).max(2);
        let shown: String = name.chars().take(28).collect();
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="13" text-anchor="end" fill="currentColor">{}</text><rect x="{label}" y="{}" width="{long}" height="{}" rx="3" fill="{LIKED}"><title>{}: {value}</title></rect><text x="{}" y="{}" font-size="12" fill="currentColor">{value}</text>"#,
            label - 8,
            y + 17,
            escape(&shown),
            y + 4,
            row - 8,
            escape(name),
            label + long + 6,
            y + 17
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use soiree_insights::Counts;

    use super::*;

    fn legend() -> Legend<'static> {
        Legend {
            liked: "Liked",
            played: "Played",
            voted_up: "Voted up",
            title: "Twelve weeks",
        }
    }

    #[test]
    fn a_week_with_likes_and_plays_is_two_stacked_bars_and_an_empty_week_none() {
        let start = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let weeks = [
            Week {
                starts: start,
                counts: Counts {
                    liked: 3,
                    played: 1,
                    ..Counts::default()
                },
            },
            Week {
                starts: start + TimeDelta::weeks(1),
                counts: Counts::default(),
            },
        ];
        let svg = weekly_bars(&weeks, &legend());
        assert_eq!(svg.matches("<rect x=").count(), 2, "{svg}");
        assert!(
            svg.contains("Liked: 3") && svg.contains("Played: 1"),
            "{svg}"
        );
        assert!(svg.contains(r#"aria-label="Twelve weeks""#));
    }

    #[test]
    fn names_are_escaped_and_the_highest_value_draws_the_longest_bar() {
        let svg = ranked_bars(
            &[("<script>".to_owned(), 4), ("Nina & Otis".to_owned(), 2)],
            "Top",
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("Nina &amp; Otis"));
        assert!(
            svg.contains(r#"width="400""#) && svg.contains(r#"width="200""#),
            "{svg}"
        );
    }
}
