//! The music folder on disk, over files made by the test in each format.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use soiree_library::MusicFolder as _;
use soiree_media::FolderOnDisk;
use soiree_media::testing::{
    PNG_PIXEL, Tagged, flac_bytes, m4a_bytes, opus_bytes, sample_folder, write_tagged,
};

#[tokio::test]
async fn each_format_is_listed_and_read_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    sample_folder(root).unwrap();
    // A FLAC named .mp3 is a FLAC; a text file named .mp3 is reported (field/notes.mp3); a
    // picture is not listed.
    std::fs::write(root.join("misnamed.mp3"), flac_bytes()).unwrap();
    std::fs::write(root.join("cover.png"), PNG_PIXEL).unwrap();
    write_tagged(
        &root.join("field/tide.m4a"),
        &m4a_bytes(),
        &Tagged {
            title: "Tide",
            artist: "Nobody",
            ..Tagged::default()
        },
    )
    .unwrap();
    write_tagged(
        &root.join("field/wind.opus"),
        &opus_bytes(),
        &Tagged {
            title: "Wind",
            artist: "Nobody",
            ..Tagged::default()
        },
    )
    .unwrap();

    let folder = FolderOnDisk::new(root).unwrap();
    let files = folder.files().await.unwrap();
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Beyoncé/I Am/01 Halo.flac",
            "Sigur Rós/Hoppípolla.mp3",
            "field/notes.mp3",
            "field/rain.wav",
            "field/tide.m4a",
            "field/wind.opus",
            "misnamed.mp3",
        ]
    );

    let halo = folder.read("Beyoncé/I Am/01 Halo.flac").await.unwrap();
    assert_eq!(halo.content_type, "audio/flac");
    assert_eq!(halo.tags.title, "Halo");
    assert_eq!(halo.tags.artists, ["Beyoncé"]);
    assert_eq!(halo.tags.album.as_deref(), Some("I Am… Sasha Fierce"));
    assert_eq!(halo.tags.track_number, Some(1));
    assert_eq!(halo.tags.duration_ms, Some(2_000));
    assert!(halo.tags.has_cover);
    let (mime, cover) = folder
        .cover("Beyoncé/I Am/01 Halo.flac")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((mime.as_str(), cover.as_slice()), ("image/png", PNG_PIXEL));

    let mp3 = folder.read("Sigur Rós/Hoppípolla.mp3").await.unwrap();
    assert_eq!(mp3.content_type, "audio/mpeg");
    assert_eq!(mp3.tags.title, "Hoppípolla");
    assert!(mp3.tags.duration_ms.is_some_and(|ms| ms > 500), "{mp3:?}");

    let wav = folder.read("field/rain.wav").await.unwrap();
    assert_eq!(wav.content_type, "audio/wav");
    assert_eq!(wav.tags.title, "Rain");
    assert_eq!(wav.tags.duration_ms, Some(1_000));

    let misnamed = folder.read("misnamed.mp3").await.unwrap();
    assert_eq!(misnamed.content_type, "audio/flac", "the content decides");
    assert_eq!(misnamed.tags.title, "misnamed", "no tags: the file's name");

    let opus = folder.read("field/wind.opus").await.unwrap();
    assert_eq!(opus.content_type, "audio/ogg");
    assert_eq!(opus.tags.title, "Wind");
    assert_eq!(opus.tags.artists, ["Nobody"]);
    assert_eq!(opus.tags.duration_ms, Some(2_000));

    let m4a = folder.read("field/tide.m4a").await.unwrap();
    assert_eq!(m4a.content_type, "audio/mp4");
    assert_eq!(m4a.tags.title, "Tide");
    assert_eq!(m4a.tags.duration_ms, Some(2_000));

    let notes = folder.read("field/notes.mp3").await.unwrap_err();
    assert!(notes.0.contains("not a readable Mpeg file"), "{notes}");
}

#[tokio::test]
async fn nothing_outside_the_folder_is_reached() {
    let outside = tempfile::tempdir().unwrap();
    write_tagged(
        &outside.path().join("secret.flac"),
        &flac_bytes(),
        &Tagged {
            title: "Secret",
            artist: "Someone",
            ..Tagged::default()
        },
    )
    .unwrap();
    let inside = outside.path().join("music");
    std::fs::create_dir(&inside).unwrap();
    let folder = FolderOnDisk::new(&inside).unwrap();
    assert!(folder.location("../secret.flac").is_none());
    assert!(folder.read("../secret.flac").await.is_err());
    assert!(folder.files().await.unwrap().is_empty());
    assert!(FolderOnDisk::new(outside.path().join("missing")).is_err());
}

#[test]
fn a_files_extension_comes_from_its_content_not_its_name() {
    use soiree_media::testing::{mp3_bytes, wav_bytes};
    let dir = tempfile::tempdir().unwrap();
    for (bytes, extension) in [
        (wav_bytes(), Some("wav")),
        (flac_bytes(), Some("flac")),
        (mp3_bytes(), Some("mp3")),
        (m4a_bytes(), Some("m4a")),
        (opus_bytes(), Some("opus")),
        (b"not audio at all".to_vec(), None),
    ] {
        let path = dir.path().join("download.part");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(soiree_media::audio_extension(&path), extension);
    }
}
