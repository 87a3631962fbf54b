//! The library's catalogue on SQLite and PostgreSQL.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use soiree_kernel::{SystemClock, UserId};
use soiree_library::memory::InMemoryFolder;
use soiree_library::{
    AlbumKey, AlbumOrder, AlbumQuery, Favourite, LibraryService, SongQuery, TrackRepository as _,
    TrackTags,
};
use support::test_databases;

fn tags(title: &str, artist: &str, album: &str, track: u32) -> TrackTags {
    TrackTags {
        album: Some(album.to_owned()),
        track_number: Some(track),
        ..TrackTags::titled(title, artist)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scans_at_once_through_two_instances_store_each_file_once_and_search_folds_accents() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let folder = Arc::new(InMemoryFolder::default());
        for number in 0..30 {
            folder.put(
                &format!("various/{number:02}.flac"),
                tags(&format!("Song {number}"), "Various", "Mix", number),
            );
        }
        folder.put(
            "b/halo.flac",
            tags("Halo", "Beyoncé", "I Am… Sasha Fierce", 1),
        );
        folder.put(
            "s/hoppipolla.flac",
            tags("Hoppípolla", "Sigur Rós", "Takk…", 2),
        );
        folder.put("p/percent.flac", tags("100% Pure", "Odd_Name", "Tests", 3));
        let libraries: Vec<Arc<LibraryService>> = [&test.database, &second]
            .into_iter()
            .map(|database| {
                Arc::new(LibraryService::new(
                    folder.clone(),
                    Arc::new(database.library()),
                    Arc::new(database.listening()),
                    Arc::new(SystemClock),
                ))
            })
            .collect();
        let scans: Vec<_> = libraries
            .iter()
            .map(|library| {
                let library = library.clone();
                tokio::spawn(async move { library.scan(&|_| {}).await.unwrap() })
            })
            .collect();
        for scan in scans {
            scan.await.unwrap();
        }
        let library = &libraries[0];
        let viewer = UserId::generate();
        let all = library.songs(viewer, &SongQuery::default()).await.unwrap();
        assert_eq!(all.total, 33, "{backend}: one track per file");
        assert_eq!(all.tracks.len(), 33);
        // Artist, then album, then track number.
        assert_eq!(all.tracks[0].tags.artists, ["Beyoncé"], "{backend}");
        assert_eq!(all.tracks[3].tags.title, "Song 0", "{backend}");

        let titles = |query: SongQuery| async move {
            library
                .songs(viewer, &query)
                .await
                .unwrap()
                .tracks
                .into_iter()
                .map(|track| track.tags.title)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            titles(SongQuery::words("BEYONCE")).await,
            ["Halo"],
            "{backend}"
        );
        assert_eq!(
            titles(SongQuery::words("hoppipolla ros")).await,
            ["Hoppípolla"]
        );
        // LIKE's own characters are searched for, not obeyed.
        assert_eq!(
            titles(SongQuery::words("100%")).await,
            ["100% Pure"],
            "{backend}"
        );
        assert_eq!(
            titles(SongQuery::words("d_n")).await,
            ["100% Pure"],
            "{backend}"
        );
        assert!(titles(SongQuery::words("%")).await.len() == 1, "{backend}");
        // Control characters count as spaces (and never reach the index as such).
        assert_eq!(
            titles(SongQuery::words("\u{0}\u{7f}Hoppí\u{6}polla")).await,
            ["Hoppípolla"],
            "{backend}"
        );
        assert_eq!(
            titles(SongQuery {
                album: Some("\u{0}takk\u{7f}".into()),
                ..SongQuery::default()
            })
            .await,
            ["Hoppípolla"],
            "{backend}"
        );
        let album = SongQuery {
            album: Some("takk".into()),
            ..SongQuery::default()
        };
        assert_eq!(titles(album).await, ["Hoppípolla"], "{backend}");
        let second_page = SongQuery {
            page: 0,
            artist: Some("various".into()),
            ..SongQuery::default()
        };
        assert_eq!(library.songs(viewer, &second_page).await.unwrap().total, 30);

        // A change is read again and keeps its id; a removed file's track goes.
        let halo = library
            .songs(viewer, &SongQuery::words("halo"))
            .await
            .unwrap()
            .tracks[0]
            .clone();
        folder.put(
            "b/halo.flac",
            tags("Halo (live)", "Beyoncé", "I Am… Sasha Fierce", 1),
        );
        folder.delete("p/percent.flac");
        let report = library.scan(&|_| {}).await.unwrap();
        assert_eq!(
            (report.updated, report.removed, report.unchanged),
            (1, 1, 31)
        );
        let again = test
            .database
            .library()
            .track(halo.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.tags.title, "Halo (live)", "{backend}");
        // The search index follows changes and removals.
        assert_eq!(
            titles(SongQuery::words("halo live")).await,
            ["Halo (live)"],
            "{backend}"
        );
        assert!(
            titles(SongQuery::words("pure")).await.is_empty(),
            "{backend}"
        );
        assert_eq!(again.tags.album.as_deref(), Some("I Am… Sasha Fierce"));
        test.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_playlist_quota_holds_across_two_instances_and_a_reorder_is_kept() {
    use soiree_kernel::TrackRef;
    use soiree_library::memory::FixedPlaylistAllowance;
    use soiree_library::{PlaylistItem, PlaylistName, PlaylistsService};
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let owner = support::account(&test.database, "ada").await;
        let services: Vec<Arc<PlaylistsService>> = [&test.database, &second]
            .into_iter()
            .map(|database| {
                Arc::new(PlaylistsService::new(
                    Arc::new(database.playlists()),
                    Arc::new(database.library()),
                    Arc::new(FixedPlaylistAllowance(Some(10))),
                    Arc::new(SystemClock),
                ))
            })
            .collect();
        // 30 at once through two instances; ten allowed.
        let attempts: Vec<_> = (0..30)
            .map(|attempt| {
                let service = services[attempt % 2].clone();
                tokio::spawn(async move {
                    service
                        .create(
                            owner,
                            PlaylistName::parse(&format!("List {attempt}")).unwrap(),
                        )
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut made = 0;
        for attempt in attempts {
            made += usize::from(attempt.await.unwrap());
        }
        assert_eq!(made, 10, "{backend}: the quota holds");
        let service = &services[0];
        let lists = service.list(owner).await.unwrap();
        assert_eq!(lists.len(), 10);

        let id = lists[0].id;
        let items: Vec<PlaylistItem> = (0..5)
            .map(|_| {
                PlaylistItem::Provider(
                    TrackRef::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC").unwrap(),
                )
            })
            .collect();
        let filled = service.add(owner, id, items).await.unwrap();
        let ids: Vec<_> = filled.entries.iter().map(|entry| entry.id).collect();
        let order = vec![ids[4], ids[2], ids[0], ids[3], ids[1]];
        let reordered = service.reorder(owner, id, order.clone()).await.unwrap();
        assert_eq!(
            reordered
                .entries
                .iter()
                .map(|entry| entry.id)
                .collect::<Vec<_>>(),
            order,
            "{backend}"
        );
        let after = services[1].remove(owner, id, ids[2]).await.unwrap();
        assert_eq!(after.entries.len(), 4, "{backend}");
        assert_eq!(
            service.list(owner).await.unwrap()[0].entries,
            4,
            "{backend}"
        );
        second.close().await.unwrap();
        test.finish().await;
    }
}

#[tokio::test]
async fn artists_albums_stars_and_plays_on_both_databases() {
    for test in test_databases().await {
        let backend = test.backend;
        let folder = Arc::new(InMemoryFolder::default());
        let mut guest = tags("Third", "Bob", "first light", 3);
        guest.album_artist = Some("Ada".into());
        guest.year = Some(2003);
        guest.has_cover = true;
        folder.put("a/3.flac", guest);
        let mut first = tags("First", "Ada", "First Light", 1);
        first.year = Some(2001);
        first.duration_ms = Some(1_000);
        first.genre = Some("Ambient".into());
        folder.put("a/1.flac", first);
        folder.put("b/solo.flac", tags("Solo", "Bob", "Alone", 1));
        folder.put("c/loose.flac", TrackTags::titled("Loose", "Cy"));
        let library = LibraryService::new(
            folder,
            Arc::new(test.database.library()),
            Arc::new(test.database.listening()),
            Arc::new(SystemClock),
        );
        library.scan(&|_| {}).await.unwrap();
        let ada = support::account(&test.database, "ada").await;
        let bob = support::account(&test.database, "bob").await;

        let artists = library.artists(ada).await.unwrap();
        let summary: Vec<_> = artists
            .iter()
            .map(|a| (a.name.as_str(), a.albums, a.tracks))
            .collect();
        assert_eq!(
            summary,
            [("Ada", 1, 2), ("Bob", 1, 1), ("Cy", 1, 1)],
            "{backend}"
        );

        let albums = |order: AlbumOrder, viewer| {
            let library = &library;
            async move {
                library
                    .albums(viewer, &AlbumQuery::first(order, 10))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|album| album.key.title)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            albums(AlbumOrder::ByTitle, ada).await,
            ["", "Alone", "First Light"],
            "{backend}"
        );
        assert_eq!(
            albums(
                AlbumOrder::ByYear {
                    from: 2010,
                    to: 2000
                },
                ada
            )
            .await,
            ["First Light"],
            "{backend}"
        );
        assert_eq!(
            albums(AlbumOrder::ByGenre("ambient".into()), ada).await,
            ["First Light"],
            "{backend}"
        );
        assert_eq!(albums(AlbumOrder::Random, ada).await.len(), 3, "{backend}");
        let by_ada = library
            .albums(
                ada,
                &AlbumQuery {
                    artist: Some("Ada".into()),
                    ..AlbumQuery::first(
                        AlbumOrder::ByYear {
                            from: 2000,
                            to: 2010,
                        },
                        10,
                    )
                },
            )
            .await
            .unwrap();
        assert_eq!(by_ada.len(), 1, "{backend}");
        let light = &by_ada[0];
        assert_eq!(
            (light.tracks, light.duration_ms, light.year, light.has_cover),
            (2, 1_000, Some(2003), true),
            "{backend}"
        );

        let (_, tracks) = library
            .album(
                ada,
                &AlbumKey {
                    artist: "Ada".into(),
                    title: "FIRST LIGHT".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            tracks
                .iter()
                .map(|t| t.tags.title.as_str())
                .collect::<Vec<_>>(),
            ["First", "Third"],
            "{backend}"
        );
        assert_eq!(
            library.random_tracks(ada, 2).await.unwrap().len(),
            2,
            "{backend}"
        );

        // Stars: per person, once each, albums listed by them, gone with their track.
        let solo = library
            .songs(ada, &SongQuery::words("solo"))
            .await
            .unwrap()
            .tracks[0]
            .clone();
        let alone = AlbumKey::of(&solo);
        let items = [
            Favourite::Track(solo.id),
            Favourite::Album(alone.clone()),
            Favourite::Artist("Bob".into()),
        ];
        library.star(ada, &items).await.unwrap();
        library.star(ada, &items[..1]).await.unwrap();
        let favourites = library.favourites(ada).await.unwrap();
        assert_eq!(
            (
                favourites.tracks.len(),
                favourites.albums.len(),
                favourites.artists.len()
            ),
            (1, 1, 1),
            "{backend}"
        );
        assert_eq!(favourites.albums[0].0.key.title, "Alone", "{backend}");
        assert!(
            library.favourites(bob).await.unwrap().tracks.is_empty(),
            "{backend}"
        );
        assert_eq!(
            albums(AlbumOrder::Starred, ada).await,
            ["Alone"],
            "{backend}"
        );
        assert!(
            albums(AlbumOrder::Starred, bob).await.is_empty(),
            "{backend}"
        );
        library.unstar(ada, &items[2..]).await.unwrap();
        assert!(
            library.favourites(ada).await.unwrap().artists.is_empty(),
            "{backend}"
        );

        // Plays order albums; now playing is one track per person.
        library.played(bob, solo.id, true, "DSub").await.unwrap();
        library.played(bob, solo.id, true, "DSub").await.unwrap();
        library
            .played(bob, tracks[0].id, true, "DSub")
            .await
            .unwrap();
        assert_eq!(
            albums(AlbumOrder::Frequent, bob).await,
            ["Alone", "First Light"],
            "{backend}"
        );
        assert_eq!(
            albums(AlbumOrder::Recent, bob).await,
            ["First Light", "Alone"],
            "{backend}"
        );
        let frequent = library
            .albums(bob, &AlbumQuery::first(AlbumOrder::Frequent, 1))
            .await
            .unwrap();
        assert_eq!(
            frequent[0].tracks, 1,
            "{backend}: plays do not multiply an album's tracks"
        );
        library.played(bob, solo.id, false, "DSub").await.unwrap();
        library
            .played(bob, tracks[0].id, false, "Feishin")
            .await
            .unwrap();
        let playing = library.now_playing(ada).await.unwrap();
        assert_eq!(playing.len(), 1, "{backend}");
        assert_eq!(
            (playing[0].client.as_str(), playing[0].track.id),
            ("Feishin", tracks[0].id),
            "{backend}"
        );

        // A track gone from the catalogue leaves the stars.
        test.database.library().remove(&[solo.id]).await.unwrap();
        assert!(
            library.favourites(ada).await.unwrap().tracks.is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_through_two_instances_at_once_never_pass_the_quota_and_are_their_owners_alone() {
    use soiree_library::memory::{FixedStorageAllowance, InMemoryUploadSpace};
    use soiree_library::{UploadError, UploadsService};
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let ada = support::account(&test.database, "ada").await;
        let bob = support::account(&test.database, "bob").await;
        let space = InMemoryUploadSpace::default();
        let services: Vec<Arc<UploadsService>> = [&test.database, &second]
            .into_iter()
            .map(|database| {
                Arc::new(UploadsService::new(
                    Arc::new(space.clone()),
                    Arc::new(database.library()),
                    Arc::new(FixedStorageAllowance(Some(1_000))),
                    Arc::new(SystemClock),
                    10_000,
                ))
            })
            .collect();
        // Twenty different files of 300 bytes at once, through two instances: three fit.
        let sent: Vec<_> = (0..20_u8)
            .map(|n| {
                let uploads = Arc::clone(&services[usize::from(n % 2)]);
                tokio::spawn(async move {
                    let mut bytes = b"fLaC".to_vec();
                    bytes.resize(300, n);
                    let mut content = bytes.as_slice();
                    uploads.upload(ada, "Song.flac", None, &mut content).await
                })
            })
            .collect();
        let mut stored = 0;
        for upload in sent {
            match upload.await.unwrap() {
                Ok(_) => stored += 1,
                Err(UploadError::QuotaExceeded { .. }) => {}
                Err(other) => panic!("{backend}: {other}"),
            }
        }
        assert_eq!(stored, 3, "{backend}");
        let usage = services[0].usage(ada).await.unwrap();
        assert_eq!(usage.used_bytes, 900, "{backend}");
        assert_eq!(space.paths().len(), 3, "{backend}: refused files removed");

        // The same content at once: one track.
        services[0].delete(ada, usage.tracks[0].id).await.unwrap();
        let same: Vec<_> = services
            .iter()
            .map(|uploads| {
                let uploads = Arc::clone(uploads);
                tokio::spawn(async move {
                    let mut bytes = b"fLaC".to_vec();
                    bytes.resize(200, 99);
                    let mut content = bytes.as_slice();
                    uploads
                        .upload(ada, "Same.flac", None, &mut content)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for upload in same {
            ids.push(upload.await.unwrap().track.id);
        }
        assert_eq!(ids[0], ids[1], "{backend}");

        // Ada's uploads are hers: not in Bob's search, artists or albums.
        let library = LibraryService::new(
            Arc::new(InMemoryFolder::default()),
            Arc::new(test.database.library()),
            Arc::new(test.database.listening()),
            Arc::new(SystemClock),
        );
        assert_eq!(
            library
                .songs(ada, &SongQuery::default())
                .await
                .unwrap()
                .total,
            3,
            "{backend}"
        );
        assert_eq!(
            library
                .songs(bob, &SongQuery::default())
                .await
                .unwrap()
                .total,
            0,
            "{backend}"
        );
        assert!(library.artists(bob).await.unwrap().is_empty(), "{backend}");
        assert!(
            library
                .albums(bob, &AlbumQuery::first(AlbumOrder::ByTitle, 10))
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        assert!(
            library.random_tracks(bob, 10).await.unwrap().is_empty(),
            "{backend}"
        );
        assert!(library.track(bob, ids[0]).await.is_err(), "{backend}");
        assert_eq!(library.artists(ada).await.unwrap().len(), 1, "{backend}");
        // Deleting frees the quota.
        services[1].delete(ada, ids[0]).await.unwrap();
        assert_eq!(
            services[0].usage(ada).await.unwrap().used_bytes,
            600,
            "{backend}"
        );
        assert!(
            services[1].delete(bob, usage.tracks[1].id).await.is_err(),
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn provider_tracks_are_kept_once_per_person_through_two_instances_and_left_out_for_apps() {
    use soiree_library::{ProviderTrack, StreamError, Viewer};
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let ada = support::account(&test.database, "ada").await;
        let bob = support::account(&test.database, "bob").await;
        let folder = Arc::new(InMemoryFolder::default());
        folder.put(
            "halo.flac",
            tags("Halo", "Beyoncé", "I Am… Sasha Fierce", 1),
        );
        let libraries: Vec<Arc<LibraryService>> = [&test.database, &second]
            .into_iter()
            .map(|database| {
                Arc::new(LibraryService::new(
                    folder.clone(),
                    Arc::new(database.library()),
                    Arc::new(database.listening()),
                    Arc::new(SystemClock),
                ))
            })
            .collect();
        libraries[0].scan(&|_| {}).await.unwrap();
        let uri = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";
        let rick = |title: &str| ProviderTrack {
            uri: uri.to_owned(),
            tags: tags(title, "Rick Astley", "Whenever You Need Somebody", 1),
        };
        // The same track kept at once, ten times, through both instances, for each person.
        let kept: Vec<_> = (0..20_usize)
            .map(|n| {
                let library = Arc::clone(&libraries[n % 2]);
                let owner = if n < 10 { ada } else { bob };
                let track = rick(&format!("Never Gonna Give You Up {n}"));
                tokio::spawn(async move { library.keep_provider_tracks(owner, vec![track]).await })
            })
            .collect();
        for keeping in kept {
            keeping.await.unwrap().unwrap();
        }
        let adas = libraries[1].provider_tracks(ada).await.unwrap();
        assert_eq!(adas.len(), 1, "{backend}: one track per person and address");
        assert_eq!(adas[0].source.provider_uri(), Some(uri), "{backend}");
        assert!(adas[0].media.is_none(), "{backend}: no file");
        assert!(adas[0].tags.title.starts_with("Never Gonna"), "{backend}");
        assert_eq!(libraries[0].provider_tracks(bob).await.unwrap().len(), 1);

        // Seen by its owner in search and browsing; left out for a music app and for others.
        let found = libraries[0]
            .songs(ada, &SongQuery::words("rick never"))
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{backend}");
        assert_eq!(found.tracks[0].id, adas[0].id, "{backend}");
        let everything = libraries[0]
            .songs(ada, &SongQuery::default())
            .await
            .unwrap();
        assert_eq!(everything.total, 2, "{backend}: the folder's and her own");
        let apps = libraries[0]
            .songs(Viewer::files_only(ada), &SongQuery::default())
            .await
            .unwrap();
        assert_eq!(apps.total, 1, "{backend}: a music app sees files only");
        let artists = |viewer: Viewer| {
            let library = Arc::clone(&libraries[0]);
            async move {
                library
                    .artists(viewer)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|artist| artist.name)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            artists(ada.into()).await,
            ["Beyoncé", "Rick Astley"],
            "{backend}"
        );
        assert_eq!(
            artists(Viewer::files_only(ada)).await,
            ["Beyoncé"],
            "{backend}"
        );
        let albums = libraries[0]
            .albums(
                Viewer::files_only(ada),
                &AlbumQuery::first(AlbumOrder::ByTitle, 50),
            )
            .await
            .unwrap();
        assert_eq!(albums.len(), 1, "{backend}");
        let stranger = support::account(&test.database, "cyrus").await;
        assert_eq!(
            libraries[0]
                .songs(stranger, &SongQuery::default())
                .await
                .unwrap()
                .total,
            1,
            "{backend}: others see the folder only"
        );
        assert!(
            matches!(
                libraries[0].stream(ada, adas[0].id).await,
                Err(StreamError::NoFile { .. })
            ),
            "{backend}"
        );
        // They are not uploads: no bytes counted.
        assert_eq!(
            test.database.library().uploaded_bytes(ada).await.unwrap(),
            0
        );
        assert!(
            test.database
                .library()
                .uploads_of(ada)
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(libraries[0].forget_provider_tracks(ada).await.unwrap(), 1);
        assert!(libraries[1].provider_tracks(ada).await.unwrap().is_empty());
        assert_eq!(libraries[1].provider_tracks(bob).await.unwrap().len(), 1);
    }
}
