//! The pages in a real browser (headless Chromium), as people use them at a party: a host on a
//! laptop, guests on phones, the TV screen. Everything a test waits for must arrive by itself
//! (live events), never by reloading the page.
//!
//! `SOIREE_SCREENSHOTS=docs/screenshots cargo test --test e2e browser::` refreshes the pictures in
//! the documentation.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::browser::{Screen, driver};
use crate::support::rooms::{connected_host, create_room, vote};
use crate::support::{CLIENT_SECRET, PASSWORD, spawn_app_with, spawn_app_with_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_from_sign_up_to_the_tv_screen() {
    let Some(driver) = driver("a_party_from_sign_up_to_the_tv_screen").await else {
        return;
    };
    let t = spawn_app_with_sim().await;
    let base = t.app.base_url.clone();

    // The host signs up from the home page and lands on the dashboard.
    let host = driver.browser(Screen::Desktop, &base).await;
    host.open("/").await;
    host.screenshot("home-desktop").await;
    host.click(".ways a[href='/signup']").await;
    host.fill("#username", "hostess").await;
    host.fill("#password", PASSWORD).await;
    host.click("#signup button[type=submit]").await;
    host.arrives_at("/dashboard").await;
    host.sees("h1", "Hello, hostess").await;
    host.sees("#services", "Spotify").await;

    // Connects their own Spotify app: credentials, Connect, the provider's consent page, back.
    host.click(".actions a[href='/connect']").await;
    host.fill("#spotify-client-id", "e2e-spotify").await;
    host.fill("#spotify-client-secret", CLIENT_SECRET).await;
    host.click("[data-provider=spotify] form button[type=submit]")
        .await;
    host.click("#spotify-connect").await;
    host.click("button[value=approve]").await;
    host.arrives_at("/connect").await;
    host.sees("#banner", "Connected.").await;
    host.sees("#spotify-status", "Connected as").await;

    // Hosts a party where two likes play a song.
    host.open("/rooms/new").await;
    host.fill("#name", "Saturday night").await;
    host.fill("#count", "2").await;
    host.click("#new-room button[type=submit]").await;
    host.sees("#host h2", "You are the host").await;
    let path = host.path().await;
    let code = path.trim_start_matches("/rooms/").to_owned();
    assert_eq!(code.len(), 6, "{path}");
    host.sees(".room-head", &code).await;
    host.sees("#share-link", &format!("{base}/rooms/{code}"))
        .await;

    // A guest on a phone types the code as heard (lower case, with a space) and joins.
    let guest = driver.browser(Screen::Phone, &base).await;
    guest.open("/").await;
    guest.screenshot("home-phone").await;
    let typed = format!("{} {}", &code[..3], &code[3..]).to_lowercase();
    guest.fill("#code", &typed).await;
    guest.click("#join-code button[type=submit]").await;
    guest.arrives_at(&format!("/rooms/{code}")).await;
    guest.sees("h1", "Saturday night").await;
    guest.fill("#nickname", "Alex").await;
    guest.click("#join-guest button[type=submit]").await;
    guest.sees("#queue-empty", "No songs yet").await;
    host.sees("#present", "2 people here").await;
    host.sees("#people", "Alex").await;

    // The guest finds a song and adds it; the host sees it arrive with one like of two.
    guest.fill("#add-query", "midnight").await;
    guest.click("#add button[type=submit]").await;
    let first = guest
        .find("#found li.track .name")
        .await
        .text()
        .await
        .unwrap();
    guest.screenshot("party-search-phone").await;
    guest.click("#found li.track button").await;
    guest.sees("#found li.track button", "Added").await;
    guest.sees("#queue", &first).await;
    host.sees("#queue", &first).await;
    host.sees("#queue li.track .count", "1/2").await;
    let pressed = guest
        .find("#queue li.track .vote.like")
        .await
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(
        pressed.as_deref(),
        Some("true"),
        "the guest's own like shows"
    );

    // The host's like makes it the room's choice: it plays, and every screen says so.
    host.click("#queue li.track .vote.like").await;
    host.sees("#playing-title", &first).await;
    guest.sees("#playing-title", &first).await;
    let player = t.sim_player("ada").await;
    assert_eq!(player["is_playing"], true, "{player}");
    host.screenshot("party-host-desktop").await;

    // The TV screen (the host's account, on the big screen) shows it too, and what comes next.
    let tv = driver.browser(Screen::Desktop, &base).await;
    tv.open(&format!("/rooms/{code}/tv")).await;
    tv.sees("#sign-in", "Log in as the host").await;
    tv.click("#sign-in a").await;
    tv.arrives_at("/login").await;
    tv.log_in("hostess").await;
    tv.arrives_at(&format!("/rooms/{code}/tv")).await;
    tv.sees(".tv-code", &code).await;
    tv.sees("#title", &first).await;

    guest.click("#found li.track:nth-child(2) button").await;
    let second = guest
        .find("#found li.track:nth-child(2) .name")
        .await
        .text()
        .await
        .unwrap();
    host.sees("#queue", &second).await;
    host.click("#queue li.track .vote.like").await;
    tv.sees("#next", &second).await;
    guest.sees("#queue li.track", "Plays soon").await;
    tv.screenshot("party-tv").await;
    guest.screenshot("party-guest-phone").await;

    // After the party, what played is in the host's library, linked to Spotify.
    host.open("/library").await;
    host.sees("#songs", &first).await;
    host.sees("#songs li.song a.button", "On Spotify").await;
    host.screenshot("library-after-a-party").await;

    // The dashboard brings the host's Spotify likes into the library on demand.
    host.open("/dashboard").await;
    host.sees("#sync-status h2", "Liked tracks").await;
    host.click("#sync-now").await;
    host.sees("#sync-services", "30 likes").await;
    host.sees("#sync-services", "last sync").await;
    host.screenshot("dashboard-sync").await;

    for browser in [host, guest, tv] {
        browser.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guests_page_catches_up_by_itself_after_the_server_restarts() {
    let Some(driver) = driver("a_guests_page_catches_up_by_itself_after_the_server_restarts").await
    else {
        return;
    };
    let mut t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({"like_threshold": 3})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let guest = driver.browser(Screen::Phone, &t.app.base_url).await;
    guest.open(&format!("/rooms/{code}")).await;
    guest.fill("#nickname", "Sam").await;
    guest.click("#join-guest button[type=submit]").await;
    guest.sees("#queue-empty", "No songs yet").await;

    t.app.kill_and_restart();
    let liked = vote(
        &t.app,
        &code,
        &host,
        "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
        true,
    )
    .await;
    assert_eq!(liked.status(), StatusCode::OK);
    // The page notices the drop, reads the room again and listens on: the vote shows.
    guest.sees("#queue li.track .count", "1/3").await;

    // Removed by the host, the guest is told so and can no longer vote.
    let people: serde_json::Value = t
        .app
        .get(&format!("/api/v1/rooms/{code}/participants"), Some(&host))
        .await
        .json()
        .await
        .unwrap();
    let sam = people["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|person| person["display_name"] == "Sam")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = t
        .app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/rooms/{code}/participants/{sam}"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    guest.sees("#banner", "removed you").await;
    guest.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_are_explained_where_they_were_made() {
    let Some(driver) = driver("mistakes_are_explained_where_they_were_made").await else {
        return;
    };
    let t = spawn_app_with_sim().await;
    t.app.signed_up("taken").await;
    let visitor = driver.browser(Screen::Phone, &t.app.base_url).await;

    // A code that cannot be one is caught before leaving the page.
    visitor.open("/").await;
    visitor.fill("#code", "K7X").await;
    visitor.click("#join-code button[type=submit]").await;
    visitor.sees("#code-error", "six letters and digits").await;
    assert_eq!(visitor.path().await, "/");
    // A well-formed code of no party gets a page that says so.
    visitor.fill("#code", "ZZZZZZ").await;
    visitor.click("#join-code button[type=submit]").await;
    visitor.sees("h1", "No party has this code").await;

    // Signing up: each refusal under its field, and what was typed stays.
    visitor.open("/signup").await;
    visitor.fill("#username", "taken").await;
    visitor.fill("#password", PASSWORD).await;
    visitor.click("#signup button[type=submit]").await;
    visitor.sees("#username-error", "taken").await;
    visitor.fill("#username", "newcomer").await;
    visitor.fill("#password", "short").await;
    visitor.click("#signup button[type=submit]").await;
    visitor.sees("#password-error", "8 characters").await;
    let kept = visitor.find("#username").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("newcomer"));
    visitor.screenshot("signup-error-phone").await;

    // Logging in with a wrong password says so without saying which part was wrong.
    visitor.open("/login").await;
    visitor.fill("#username", "taken").await;
    visitor.fill("#password", "not the password").await;
    visitor.click("#login button[type=submit]").await;
    visitor
        .sees("#form-error", "username or password is wrong")
        .await;
    visitor.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_works_on_a_phone_and_on_a_laptop() {
    let Some(driver) = driver("every_page_works_on_a_phone_and_on_a_laptop").await else {
        return;
    };
    let t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({"name": "Garden party"})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    for (screen, width) in [(Screen::Phone, "phone"), (Screen::Desktop, "desktop")] {
        let person = driver.browser(screen, &t.app.base_url).await;
        let shot = |page: &str| format!("{page}-{width}");

        person.open("/").await;
        person.sees("h1", "The party picks the music.").await;
        person.open("/signup").await;
        person.sees("h1", "Create your account").await;
        person.screenshot(&shot("signup")).await;
        person.open("/no/such/page").await;
        person.sees("h1", "Nothing here").await;
        person.screenshot(&shot("not-found")).await;

        person.open("/dashboard").await;
        person.arrives_at("/login").await;
        person.screenshot(&shot("login")).await;
        person.log_in("host").await;
        person.arrives_at("/dashboard").await;
        person.sees("#services", "Connected as").await;
        person.sees("#rooms", "Garden party").await;
        person.screenshot(&shot("dashboard")).await;

        person.open("/connect").await;
        person.sees("#spotify-status", "Connected as").await;
        person
            .sees("#redirect-uri", "/api/v1/connections/spotify/callback")
            .await;
        person.screenshot(&shot("connect")).await;

        person.open("/settings").await;
        person
            .sees("#providers [data-provider=soundcloud]", "SoundCloud")
            .await;
        person.fill("#display_name", "DJ Host").await;
        person.click("#profile button[type=submit]").await;
        person.sees("#profile-saved", "Saved").await;
        person.screenshot(&shot("settings")).await;

        // The library without a music folder says what the operator can do.
        person.open("/library").await;
        person.sees("#empty", "SOIREE_MUSIC_DIR").await;
        person.open("/playlists").await;
        person.sees("#playlists", "No playlist yet").await;

        // The player: a device, a search, a song played.
        person.open("/music").await;
        person.sees("#devices", "Living Room").await;
        person.fill("#query", "velvet").await;
        person.click("#search button[type=submit]").await;
        let song = person
            .find("#results li.track .name")
            .await
            .text()
            .await
            .unwrap();
        person.click("#results li.track button").await;
        person.sees("#title", &song).await;
        person.screenshot(&shot("music")).await;

        person.open("/rooms/new").await;
        person.sees("legend", "When does a song play?").await;
        person.screenshot(&shot("room-new")).await;

        person.open(&format!("/rooms/{code}")).await;
        person.sees("#host h2", "You are the host").await;
        person.screenshot(&shot("room-host")).await;

        person.open(&format!("/rooms/{code}/tv")).await;
        person.sees(".tv-code", &code).await;
        person.screenshot(&shot("tv")).await;

        person.open("/dashboard").await;
        person.sees("h1", "Hello, DJ Host").await;
        person.click("#logout").await;
        person.arrives_at("/").await;
        person.sees(".ways", "Create an account to host").await;
        person.close().await;

        // Back to the original name for the next screen.
        let renamed = t.app.patch_me(&host, json!({"display_name": null})).await;
        assert_eq!(renamed.status(), StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_and_the_tv_are_told_what_to_do_when_the_music_cannot_play() {
    let Some(driver) =
        driver("the_host_and_the_tv_are_told_what_to_do_when_the_music_cannot_play").await
    else {
        return;
    };
    let t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({"like_threshold": 1})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let dropped = t
        .sim(reqwest::Method::POST, "/users/ada/devices/drop", json!({}))
        .await;
    assert!(dropped.status().is_success());

    let tv = driver.browser(Screen::Desktop, &t.app.base_url).await;
    tv.open(&format!("/login?next=/rooms/{code}/tv")).await;
    tv.log_in("host").await;
    tv.sees(".tv-code", &code).await;

    let page = driver.browser(Screen::Phone, &t.app.base_url).await;
    page.open(&format!("/login?next=/rooms/{code}")).await;
    page.log_in("host").await;
    page.sees("#host h2", "You are the host").await;
    page.fill("#add-query", "midnight").await;
    page.click("#add button[type=submit]").await;
    page.click("#found li.track button").await;
    let what_to_do = "Open Spotify on a phone, computer or speaker";
    page.sees("#banner", what_to_do).await;
    tv.sees("#problem", what_to_do).await;
    page.screenshot("room-problem-phone").await;
    page.close().await;
    tv.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_their_tier_and_an_operator_moves_them_up() {
    let Some(driver) = driver("a_person_sees_their_tier_and_an_operator_moves_them_up").await
    else {
        return;
    };
    // The default tier table (the tests' usual one lifts every limit).
    let tiers = tempfile::tempdir().unwrap();
    let tier_file = tiers.path().join("tiers.toml");
    std::fs::write(&tier_file, "[pages]\nrequests = \"unlimited\"\n").unwrap();
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", tier_file.to_str().unwrap())]).await;
    let people = tiers.path().join("operators.csv");
    std::fs::write(&people, "username,display_name\nroot,Root\n").unwrap();
    let secrets = tiers.path().join("passwords.tsv");
    let provisioned = app.command(&[
        "provision-users",
        people.to_str().unwrap(),
        "--operator",
        "--passwords-file",
        secrets.to_str().unwrap(),
    ]);
    assert!(provisioned.status.success());
    let root_password = std::fs::read_to_string(&secrets).unwrap();
    let root_password = root_password.trim().split('\t').nth(1).unwrap().to_owned();
    let carol_token = app.signed_up("carol").await;
    for _ in 0..3 {
        create_room(&app, &carol_token, json!({})).await;
    }

    // Carol sees her tier, what she uses of it, and who to ask for more.
    let carol = driver.browser(Screen::Desktop, &app.base_url).await;
    carol.open("/login").await;
    carol.log_in("carol").await;
    carol.arrives_at("/dashboard").await;
    carol.open("/settings").await;
    carol.sees("#tier-name", "Free").await;
    carol.sees("#tier-limits", "3 of 3").await;
    carol.sees("#tier-ask", "ask the server's operator").await;
    carol.scroll_to("#tier").await;
    carol.screenshot("settings-tier-desktop").await;
    // A fourth party is refused with the reason, on the form.
    carol.open("/rooms/new").await;
    carol.click("#new-room button[type=submit]").await;
    carol.sees("#form-error", "allows 3 open rooms").await;
    // The operator's page is not hers.
    carol.open("/operator").await;
    carol.sees("h1", "for the server's operators").await;

    // The operator finds her and moves her up, with a reason.
    let root = driver.browser(Screen::Desktop, &app.base_url).await;
    root.open("/login").await;
    root.fill("#username", "root").await;
    root.fill("#password", &root_password).await;
    root.click("#login button[type=submit]").await;
    root.arrives_at("/dashboard").await;
    root.click("nav a[href='/operator']").await;
    root.arrives_at("/operator").await;
    root.fill("#q", "car").await;
    root.click("#search button[type=submit]").await;
    root.sees("#paging", "1 ·").await;
    root.click("#accounts [data-id]").await;
    root.sees("#account-name", "carol · Free").await;
    root.click("#move-tier option[value=premium]").await;
    root.fill("#move-reason", "band night").await;
    root.click("#move button[type=submit]").await;
    root.sees("#account-name", "carol · Premium").await;
    root.sees("#account-limits", "3 of 10").await;
    root.scroll_to("h1").await;
    root.screenshot("operator-desktop").await;

    // Carol's page says so, with the change.
    carol.open("/settings").await;
    carol.sees("#tier-name", "Premium").await;
    carol.sees("#tier-limits", "3 of 10").await;
    carol.click("#tier-changes summary").await;
    carol.sees("#tier-changes-list", "band night").await;
    carol.close().await;
    root.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_out_a_lost_device_and_changes_their_password_from_settings() {
    let Some(driver) =
        driver("a_person_signs_out_a_lost_device_and_changes_their_password_from_settings").await
    else {
        return;
    };
    let app = crate::support::spawn_app().await;
    app.signed_up("dora").await;
    // Dora is signed in on her laptop and on a phone she is about to lose.
    let phone = driver.browser(Screen::Phone, &app.base_url).await;
    phone.open("/login").await;
    phone.log_in("dora").await;
    phone.arrives_at("/dashboard").await;
    let laptop = driver.browser(Screen::Desktop, &app.base_url).await;
    laptop.open("/login").await;
    laptop.log_in("dora").await;
    laptop.arrives_at("/dashboard").await;

    laptop.open("/settings").await;
    laptop.sees("#sessions", "this device").await;
    laptop.sees("#sessions", "127.0.0.1").await;
    laptop.scroll_to("#security").await;
    laptop.screenshot("settings-security-desktop").await;
    // The sign-up's session and the phone's: sign them all out but this one.
    laptop.click("#sessions-end-others").await;
    laptop.sees("#sessions-note", "signed out: 2").await;
    // The phone is back at the login page at its next step.
    phone.open("/settings").await;
    phone.arrives_at("/login").await;

    // A wrong current password is said under its field; the right one changes it.
    laptop.fill("#current_password", "not my password").await;
    laptop
        .fill("#new_password", "a much longer passphrase")
        .await;
    laptop.click("#password button[type=submit]").await;
    laptop.sees("#current_password-error", "wrong").await;
    laptop.fill("#current_password", PASSWORD).await;
    laptop.click("#password button[type=submit]").await;
    laptop.sees("#password-saved", "Password changed").await;

    // A password for a music app, shown once, then listed by name.
    laptop.fill("#app-password-name", "Phone app").await;
    laptop.click("#app-password button[type=submit]").await;
    laptop.sees("#app-password-new", "not shown again").await;
    let secret = laptop
        .script("return document.getElementById('app-password-secret').textContent;")
        .await;
    assert_eq!(secret.as_str().map(str::len), Some(24), "{secret}");
    laptop.sees("#app-passwords", "Phone app").await;
    assert_eq!(
        app.login("dora", "a much longer passphrase").await.status(),
        StatusCode::OK
    );
    laptop.close().await;
    phone.close().await;
}

#[tokio::test]
async fn a_person_turns_on_two_step_login_signs_in_with_a_code_and_deletes_their_account() {
    let Some(driver) =
        driver("a_person_turns_on_two_step_login_signs_in_with_a_code_and_deletes_their_account")
            .await
    else {
        return;
    };
    let app = crate::support::spawn_app().await;
    app.signed_up("erin").await;
    let laptop = driver.browser(Screen::Desktop, &app.base_url).await;
    laptop.open("/login").await;
    laptop.log_in("erin").await;
    laptop.arrives_at("/dashboard").await;

    // Two-step login: the QR code and its key, a code from the app, the recovery codes.
    laptop.open("/settings").await;
    laptop.sees("#mfa-status", "Off").await;
    laptop.click("#mfa-on").await;
    laptop.find("#mfa-qr svg").await;
    let key = laptop.sees("#mfa-key", "").await;
    let seed = soiree_users::TotpSeed::from_base32(key.trim()).expect("the key is base32");
    laptop.fill("#mfa-code", "000000").await;
    laptop.click("#mfa-enrol button[type=submit]").await;
    laptop.sees("#mfa-code-error", "wrong").await;
    laptop
        .fill("#mfa-code", &seed.code_at(chrono::Utc::now()))
        .await;
    laptop.click("#mfa-enrol button[type=submit]").await;
    let codes = laptop.sees("#mfa-codes-list", "-").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");
    laptop.sees("#mfa-status", "10 recovery codes left").await;
    laptop.sees("#events", "Two-step login turned on").await;
    laptop.scroll_to("#security").await;
    laptop.screenshot("settings-two-step-login").await;

    // Signing in now takes the password, then a code (the next one: the last was used).
    let phone = driver.browser(Screen::Phone, &app.base_url).await;
    phone.open("/login").await;
    phone.log_in("erin").await;
    phone
        .fill(
            "#code",
            &seed.code_at(chrono::Utc::now() + chrono::Duration::seconds(30)),
        )
        .await;
    phone.screenshot("login-second-step-phone").await;
    phone.click("#login-code button[type=submit]").await;
    phone.arrives_at("/dashboard").await;

    // The data download is offered; deleting the account asks for the username and password.
    laptop.open("/settings").await;
    laptop.find("#data-download").await;
    laptop.sees("#events", "Signed in").await;
    laptop.fill("#erase-username", "not erin").await;
    laptop.click("#erase button[type=submit]").await;
    laptop.sees("#erase-username-error", "exactly").await;
    laptop.fill("#erase-username", "erin").await;
    laptop.fill("#erase-password", PASSWORD).await;
    // With two-step login on, the step-up asks for a code as well.
    laptop.confirms_dialogs().await;
    laptop.click("#erase button[type=submit]").await;
    laptop.sees("#erase-code-error", "code").await;
    laptop
        .fill("#erase-code", codes.lines().next().unwrap())
        .await;
    laptop.fill("#erase-password", PASSWORD).await;
    laptop.click("#erase button[type=submit]").await;
    laptop.arrives_at("/").await;
    assert_eq!(
        app.login("erin", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    phone.open("/settings").await;
    phone.arrives_at("/login").await;
    laptop.close().await;
    phone.close().await;
}

#[tokio::test]
async fn a_person_finds_a_song_in_the_library_and_plays_it_from_the_middle() {
    let Some(driver) =
        driver("a_person_finds_a_song_in_the_library_and_plays_it_from_the_middle").await
    else {
        return;
    };
    use soiree_media::testing::{Tagged, wav_of_seconds, write_tagged};
    let music = tempfile::tempdir().unwrap();
    write_tagged(
        &music.path().join("Field/Long Rain.wav"),
        &wav_of_seconds(20),
        &Tagged {
            title: "Long Rain",
            artist: "Zoë",
            album: Some("Weather"),
            ..Tagged::default()
        },
    )
    .unwrap();
    let app =
        crate::support::spawn_app_with(&[("SOIREE_MUSIC_DIR", music.path().to_str().unwrap())])
            .await;
    app.signed_up("gus").await;
    let browser = driver.browser(Screen::Desktop, &app.base_url).await;
    browser.open("/login").await;
    browser.log_in("gus").await;
    browser.arrives_at("/dashboard").await;
    browser.click("a[href='/library']").await;
    browser.arrives_at("/library").await;
    // Accents and case do not matter.
    browser.fill("#query", "ZOE").await;
    browser.click("#search button[type=submit]").await;
    browser.sees("#songs", "Long Rain").await;
    browser.sees("#count", "1").await;
    browser.click("#songs .song button").await;
    browser.sees("#playing-title", "Long Rain").await;
    // The player seeks to the middle and goes on from there.
    let seeked = browser
        .script(
            "const player = document.getElementById('player');
             return new Promise((done) => {
               const seek = () => { player.currentTime = 10; };
               player.addEventListener('seeked', () => done({ at: player.currentTime, error: player.error && player.error.code }), { once: true });
               if (player.readyState >= 1) seek(); else player.addEventListener('loadedmetadata', seek, { once: true });
             });",
        )
        .await;
    assert!(seeked["error"].is_null(), "{seeked}");
    assert!(seeked["at"].as_f64().unwrap() >= 9.9, "{seeked}");
    // A favourite, kept: starred here, listed under Favourites.
    browser.click("#songs .star").await;
    browser.sees("#songs .star[aria-pressed=true]", "★").await;
    browser.click("#show-favourites").await;
    browser.sees("#count", "1").await;
    browser.sees("#songs", "Long Rain").await;
    // Browsing: the artist, their album, its songs.
    browser.click("#show-artists").await;
    browser.sees("#browse-list", "Zoë").await;
    browser.click("#browse-list button").await;
    browser.sees("#browse-list", "Weather").await;
    browser.click("#browse-list button").await;
    browser.sees("#songs", "Long Rain").await;
    // An upload of one's own, with its progress and the quota it uses.
    let mine = tempfile::tempdir().unwrap();
    let file = mine.path().join("Morning.wav");
    write_tagged(
        &file,
        &wav_of_seconds(30),
        &Tagged {
            title: "Morning Song",
            artist: "Gus",
            ..Tagged::default()
        },
    )
    .unwrap();
    browser.attach("#upload-files", &file).await;
    browser.click("#upload-form button[type=submit]").await;
    browser.sees("#upload-status", "Stored: Morning Song").await;
    browser.sees("#uploads", "Morning Song").await;
    browser.sees("#storage", "0.5 MB").await;
    browser.screenshot("library-desktop").await;
    assert!(
        app.logs().contains("status=206"),
        "the player asked for ranges:\n{}",
        app.logs()
    );
    browser.close().await;
}

#[tokio::test]
async fn a_person_fills_a_playlist_from_the_library_and_puts_it_in_order() {
    let Some(driver) =
        driver("a_person_fills_a_playlist_from_the_library_and_puts_it_in_order").await
    else {
        return;
    };
    use soiree_media::testing::{Tagged, wav_bytes, write_tagged};
    let music = tempfile::tempdir().unwrap();
    for (file, title, artist) in [
        ("a/morning.wav", "Morning", "Ada"),
        ("b/evening.wav", "Evening", "Bob"),
    ] {
        write_tagged(
            &music.path().join(file),
            &wav_bytes(),
            &Tagged {
                title,
                artist,
                ..Tagged::default()
            },
        )
        .unwrap();
    }
    let app =
        crate::support::spawn_app_with(&[("SOIREE_MUSIC_DIR", music.path().to_str().unwrap())])
            .await;
    app.signed_up("hana").await;
    let browser = driver.browser(Screen::Phone, &app.base_url).await;
    browser.open("/login").await;
    browser.log_in("hana").await;
    browser.arrives_at("/dashboard").await;

    browser.open("/playlists").await;
    browser.sees("#playlists", "No playlist yet").await;
    browser.fill("#new-name", "Road trip").await;
    browser.click("#new button[type=submit]").await;
    browser.sees("#entries", "Empty").await;
    browser.sees("#playlists", "Road trip").await;

    // From the library: choose the playlist, add both songs (Ada's first, by artist).
    browser.open("/library").await;
    browser.sees("#songs", "Evening").await;
    browser.click("#add-to option:nth-child(2)").await;
    browser.click("#songs li:nth-child(1) .add").await;
    browser.sees("#banner", "Morning").await;
    browser.click("#songs li:nth-child(2) .add").await;
    browser.sees("#banner", "Evening").await;

    // The dashboard shows the playlist quota in use.
    browser.open("/dashboard").await;
    browser.sees("#quotas", "Playlists 1 of").await;

    // In order, then the second moved up, then one removed.
    browser.open("/playlists").await;
    browser.click("#playlists .playlist button").await;
    browser.sees("#entries li:nth-child(1)", "Morning").await;
    browser.sees("#entries li:nth-child(2)", "Evening").await;
    browser.click("#entries li:nth-child(2) .up").await;
    browser.sees("#entries li:nth-child(1)", "Evening").await;
    browser.screenshot("playlists-phone").await;
    browser.click("#entries li:nth-child(2) .remove").await;
    browser.sees("#playlists", "1 songs").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reads_their_insights_votes_for_a_recommendation_and_chooses_their_sync() {
    let Some(driver) =
        driver("a_person_reads_their_insights_votes_for_a_recommendation_and_chooses_their_sync")
            .await
    else {
        return;
    };
    let t = spawn_app_with_sim().await;
    // Bob also likes two of Ada's songs; both have synced their likes.
    let shared: Vec<serde_json::Value> =
        t.sim_player("ada").await["liked"].as_array().unwrap()[..2].to_vec();
    t.sim(
        reqwest::Method::POST,
        "/users/bob/likes",
        json!({ "tracks": shared }),
    )
    .await;
    let ada = crate::insights::synced(&t, "ada", "ada").await;
    crate::insights::synced(&t, "bob", "bob").await;

    let browser = driver.browser(Screen::Desktop, &t.app.base_url).await;
    browser.open("/login").await;
    browser.log_in("ada").await;
    browser.arrives_at("/dashboard").await;

    // In her room, the recommendations come with a vote button; a vote queues the song.
    let code = create_room(&t.app, &ada, json!({"like_threshold": 3})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.open(&format!("/rooms/{code}")).await;
    browser.sees("#recommended h3", "Recommended for you").await;
    let song = browser
        .find("#recommended-list li.track .name")
        .await
        .text()
        .await
        .unwrap();
    browser
        .sees("#recommended-list li.track", "liked by 1 person")
        .await;
    browser.screenshot("room-recommended-desktop").await;
    browser.click("#recommended-list li.track button").await;
    browser.sees("#queue", &song).await;

    // Her insights: her likes (liked months ago at the simulated service) in the top artists
    // and tracks, this week's vote in the chart, and recommendations with their reason.
    browser.click("header nav a[href='/insights']").await;
    browser.arrives_at("/insights").await;
    browser.sees("h1", "Insights").await;
    browser.sees(".totals", "30 liked").await;
    browser.sees(".totals", "1 votes up").await;
    let bars = browser
        .script("return document.querySelectorAll('#weekly svg.chart rect').length")
        .await;
    assert_eq!(bars.as_u64(), Some(1), "this week's vote is drawn");
    browser.sees("#top-artists", "").await;
    browser.sees("#top-tracks li", "(1)").await;
    browser
        .sees("#recommendations", "liked by 1 person who also likes")
        .await;
    browser.screenshot("insights-desktop").await;

    // Settings: the drive folder, a sync every two hours, recommendations off.
    browser.open("/settings#taste").await;
    browser.sees("#drive-path", "/drives/").await;
    browser.scroll_to("#taste").await;
    browser
        .script("document.getElementById('sync-every').value = '120'; document.getElementById('full-read').value = '0'; return true")
        .await;
    browser.click("#recommendations").await;
    browser.click("#taste-form button[type=submit]").await;
    browser.sees("#taste-saved", "Saved").await;
    browser.screenshot("settings-taste-desktop").await;
    let settings: serde_json::Value = t
        .app
        .get("/api/v1/me/settings", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["sync"]["every_minutes"], 120, "{settings}");
    assert_eq!(settings["sync"]["full_read"], "when_asked", "{settings}");
    assert_eq!(settings["recommendations"], false, "{settings}");
    browser.open("/insights").await;
    browser
        .sees("#recommendations", "You switched recommendations off.")
        .await;
    browser.close().await;
}
