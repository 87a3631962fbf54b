//! The pages' words, in English and French, each string beside its translation. The pages pick
//! the language from the account's `language`, else from the browser's `Accept-Language`.

/// Defines [`Texts`] (what the templates show) and its two instances from one table.
macro_rules! texts {
    ($($key:ident: $en:literal, $fr:literal;)+) => {
        /// The words of the server-rendered pages.
        #[derive(Debug)]
        pub(crate) struct Texts {
            /// The language tag (`en`, `fr`).
            pub(crate) lang: &'static str,
            $(pub(crate) $key: &'static str,)+
        }

        pub(crate) static EN: Texts = Texts { lang: "en", $($key: $en,)+ };
        pub(crate) static FR: Texts = Texts { lang: "fr", $($key: $fr,)+ };
    };
}

/// Defines the words the pages' scripts need (as JSON in the page), from one table.
macro_rules! script_texts {
    ($($key:ident: $en:literal, $fr:literal;)+) => {
        /// The scripts' words in `lang` (`fr` or English), as a JSON object, made once.
        pub(crate) fn script_texts(lang: &str) -> &'static str {
            fn json(french: bool) -> String {
                let mut texts = serde_json::Map::new();
                $(texts.insert(stringify!($key).to_owned(), serde_json::Value::from(if french { $fr } else { $en }));)+
                // `<` never appears in these strings, but a page must not be closable from data.
                serde_json::Value::Object(texts).to_string().replace('<', "\\u003c")
            }
            static ENGLISH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| json(false));
            static FRENCH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| json(true));
            if lang == "fr" { &FRENCH } else { &ENGLISH }
        }
    };
}

texts! {
    nav_dashboard: "Dashboard", "Tableau de bord";
    nav_music: "Player", "Lecteur";
    nav_library: "Library", "Bibliothèque";
    nav_playlists: "Playlists", "Listes";
    dashboard_quotas: "What your tier allows", "Ce que permet votre formule";
    playlists_hint: "Your playlists: add songs from the Library, put them in order, keep what you like.", "Vos listes : ajoutez des chansons depuis la Bibliothèque, mettez-les dans l'ordre, gardez ce qui vous plaît.";
    playlist_new: "New playlist", "Nouvelle liste";
    field_playlist_name: "Name", "Nom";
    playlist_create: "Create", "Créer";
    playlist_rename: "Rename", "Renommer";
    playlist_delete: "Delete this playlist", "Supprimer cette liste";
    playlist_export: "Copy to Spotify", "Copier dans Spotify";
    party_save_title: "Save a party", "Garder une soirée";
    party_save_hint: "A room you hosted becomes a playlist of what it played, in order.", "Une salle que vous avez animée devient une liste de ce qu'elle a joué, dans l'ordre.";
    party_code: "Room code", "Code de la salle";
    party_save: "Save as a playlist", "En faire une liste";
    playlist_reorder_hint: "Drag a song, or use ↑, to change the order.", "Glissez une chanson, ou utilisez ↑, pour changer l'ordre.";
    library_add_to: "Add to playlist", "Ajouter à la liste";
    library_hint: "The server's music, your uploads, and the tracks that played in your rooms: search by title, artist or album, and play it here.", "La musique du serveur, vos envois et les morceaux joués dans vos soirées : cherchez par titre, artiste ou album, et écoutez-la ici.";
    library_search: "Title, artist or album", "Titre, artiste ou album";
    library_empty: "No music here yet: the operator adds a folder of music (SOIREE_MUSIC_DIR).", "Pas encore de musique : l'opérateur ajoute un dossier de musique (SOIREE_MUSIC_DIR).";
    library_browse: "Browse by artist", "Parcourir par artiste";
    library_back: "All artists", "Tous les artistes";
    uploads_title: "Your uploads", "Vos envois";
    uploads_hint: "Add your own audio files (MP3, FLAC, Ogg, Opus, M4A, AAC, WAV): only you see them, here and in music apps.", "Ajoutez vos propres fichiers audio (MP3, FLAC, Ogg, Opus, M4A, AAC, WAV) : vous seul les voyez, ici et dans les applications de musique.";
    uploads_choose: "Audio files", "Fichiers audio";
    uploads_send: "Upload", "Envoyer";
    library_favourites: "Favourites", "Favoris";
    library_all: "All songs", "Toutes les chansons";
    library_apps: "Listen in a music app (DSub, Symfonium, Feishin, Supersonic…): make an app password in Settings and give the app this server's address.", "Écoutez dans une application de musique (DSub, Symfonium, Feishin, Supersonic…) : créez un mot de passe d'application dans les Réglages et donnez à l'application l'adresse de ce serveur.";
    nav_settings: "Settings", "Réglages";
    nav_logout: "Log out", "Se déconnecter";
    nav_login: "Log in", "Se connecter";
    nav_signup: "Create an account", "Créer un compte";

    home_title: "Music chosen together", "La musique choisie ensemble";
    home_headline: "The party picks the music.", "La fête choisit la musique.";
    home_lead: "Soirée lets everyone in the room vote for the next song from their phone; the songs the room likes play on the host's speakers.", "Avec Soirée, chacun vote depuis son téléphone pour la prochaine chanson ; celles que la salle aime passent sur les enceintes de l'hôte.";
    home_join_title: "Join a party", "Rejoindre une fête";
    home_code_label: "Party code (six letters and digits, from the host)", "Code de la fête (six lettres et chiffres, donné par l'hôte)";
    home_join_button: "Join", "Rejoindre";
    home_create_account: "Create an account to host", "Créer un compte pour organiser";
    home_open_dashboard: "Open your dashboard", "Ouvrir votre tableau de bord";
    home_how_title: "How it works", "Comment ça marche";
    home_how_1: "The host connects their Spotify and opens a party.", "L'hôte connecte son Spotify et ouvre une fête.";
    home_how_2: "Guests type the code (or scan it) and like or dislike songs.", "Les invités tapent le code (ou le scannent) et aiment ou non des chansons.";
    home_how_3: "Songs with enough likes play next, in order.", "Les chansons assez aimées passent ensuite, dans l'ordre.";

    signup_title: "Create your account", "Créer votre compte";
    signup_username_hint: "3 to 32 letters, digits, dots, dashes or underscores.", "3 à 32 lettres, chiffres, points, tirets ou soulignés.";
    signup_password_hint: "At least 8 characters. A long sentence is a good password.", "Au moins 8 caractères. Une longue phrase fait un bon mot de passe.";
    signup_button: "Create my account", "Créer mon compte";
    signup_have_account: "Already have an account?", "Vous avez déjà un compte ?";
    login_title: "Welcome back", "Bon retour";
    login_button: "Log in", "Se connecter";
    login_no_account: "No account yet?", "Pas encore de compte ?";

    field_username: "Username", "Nom d'utilisateur";
    field_username_or_email: "Username or email", "Nom d'utilisateur ou e-mail";
    field_email_optional: "Email (optional; lets you log in with it)", "E-mail (facultatif ; pour vous connecter avec)";
    field_password: "Password", "Mot de passe";
    field_display_name: "Name others see", "Nom que les autres voient";
    field_language: "Language", "Langue";
    field_timezone: "Time zone", "Fuseau horaire";
    field_room_name: "Party name (optional)", "Nom de la fête (facultatif)";
    language_auto: "As my browser", "Comme mon navigateur";
    save: "Save", "Enregistrer";
    saved: "Saved.", "Enregistré.";
    copy: "Copy", "Copier";
    search_button: "Search", "Chercher";
    search_placeholder: "A title or an artist", "Un titre ou un artiste";

    dashboard_hello: "Hello", "Bonjour";
    dashboard_new_room: "Host a party", "Organiser une fête";
    dashboard_connect: "Connect a service", "Connecter un service";
    dashboard_player: "Open the player", "Ouvrir le lecteur";
    dashboard_services: "Your music services", "Vos services de musique";
    dashboard_rooms: "Your parties", "Vos fêtes";

    connect_title: "Connect your music", "Connecter votre musique";
    connect_lead: "Each person uses their own developer app: enter its client id and secret, then press Connect.", "Chacun utilise sa propre application développeur : saisissez son identifiant client et son secret, puis appuyez sur Connecter.";
    guide_title: "Create your own Spotify app (five minutes)", "Créer votre application Spotify (cinq minutes)";
    guide_step_1: "Log in to the Spotify developer dashboard:", "Connectez-vous au tableau de bord développeur de Spotify :";
    guide_step_2: "Press “Create app”; give it any name and description; tick “Web API”.", "Appuyez sur « Create app » ; donnez un nom et une description ; cochez « Web API ».";
    guide_step_3: "As “Redirect URI”, paste exactly this address:", "Comme « Redirect URI », collez exactement cette adresse :";
    guide_step_4: "Save, open the app's settings and copy its Client ID and Client secret into the Spotify card above.", "Enregistrez, ouvrez les réglages de l'application et copiez son Client ID et son Client secret dans la carte Spotify ci-dessus.";
    guide_step_5: "Press Connect and accept. Playback control needs Spotify Premium.", "Appuyez sur Connecter et acceptez. Le contrôle de la lecture demande Spotify Premium.";
    guide_note: "Spotify accepts 127.0.0.1 but not “localhost” in redirect addresses; open Soirée at the address above.", "Spotify accepte 127.0.0.1 mais pas « localhost » dans les adresses de redirection ; ouvrez Soirée à l'adresse ci-dessus.";

    settings_profile: "Profile", "Profil";
    settings_apps: "Provider apps", "Applications des services";
    settings_apps_hint: "Your own developer apps; the secret is never shown again once saved.", "Vos propres applications développeur ; le secret n'est plus jamais affiché une fois enregistré.";
    settings_security: "Security", "Sécurité";
    settings_tier: "Your tier", "Votre formule";
    nav_operator: "Operator", "Opérateur";
    operator_title: "Accounts", "Comptes";
    operator_page_not_yours: "This page is for the server's operators", "Cette page est pour les opérateurs du serveur";
    operator_page_not_yours_text: "An operator is made on the server with soiree provision-users --operator.", "Un opérateur se crée sur le serveur avec soiree provision-users --operator.";
    operator_search: "Find by username or email", "Chercher par nom ou e-mail";
    operator_search_button: "Search", "Chercher";
    tier: "Tier", "Formule";
    previous_page: "Previous", "Précédents";
    next_page: "Next", "Suivants";
    reason: "Reason", "Raison";
    tier_history: "Changes", "Changements";
    overrides_title: "Limits for this account alone", "Limites pour ce compte seul";
    overrides_hint: "A number, unlimited, or empty to follow the tier.", "Un nombre, unlimited, ou vide pour suivre la formule.";
    mfa_title: "Two-step login", "Connexion en deux étapes";
    mfa_hint: "With an authenticator app (such as Aegis, Google Authenticator or 1Password), logging in also asks for the six digits the app shows.", "Avec une application d'authentification (Aegis, Google Authenticator, 1Password…), la connexion demande aussi les six chiffres qu'elle affiche.";
    mfa_turn_on: "Turn on two-step login", "Activer la connexion en deux étapes";
    mfa_scan: "Scan this code with your authenticator app, or type the key in it; then enter the six digits it shows.", "Scannez ce code avec votre application d'authentification, ou saisissez-y la clé ; puis entrez les six chiffres affichés.";
    mfa_key: "Key", "Clé";
    field_code: "Code from the app", "Code de l'application";
    mfa_confirm: "Confirm", "Confirmer";
    mfa_codes_title: "Recovery codes", "Codes de secours";
    mfa_codes_hint: "Each works once if you lose your phone. Keep them somewhere safe: they are shown only now.", "Chacun sert une fois si vous perdez votre téléphone. Gardez-les en lieu sûr : ils ne sont affichés que maintenant.";
    mfa_new_codes: "New recovery codes", "Nouveaux codes de secours";
    mfa_turn_off: "Turn off", "Désactiver";
    field_password_or_code: "Password or a code", "Mot de passe ou un code";
    reauth_title: "Confirm it is you", "Confirmez que c'est vous";
    reauth_hint: "This change needs your password (and, with two-step login, a code) once more.", "Cette modification demande votre mot de passe (et, avec la connexion en deux étapes, un code) une fois de plus.";
    field_code_optional: "Code from the app (with two-step login)", "Code de l'application (avec la connexion en deux étapes)";
    events_title: "Security log", "Journal de sécurité";
    app_passwords_title: "Music apps", "Applications de musique";
    app_passwords_hint: "Phone and desktop music apps that speak Subsonic sign in with your username and an app password made here, never your own password. Revoke one and that app is signed out.", "Les applications de musique qui parlent Subsonic se connectent avec votre nom d'utilisateur et un mot de passe d'application créé ici, jamais votre propre mot de passe. Révoquez-en un et l'application est déconnectée.";
    app_password_name: "Which app (e.g. Phone)", "Quelle application (ex. Téléphone)";
    app_password_create: "Make a password", "Créer un mot de passe";
    events_hint: "Logins, failed attempts and changes to your account, newest first.", "Connexions, tentatives échouées et changements de votre compte, du plus récent au plus ancien.";
    events_acknowledge: "These were me", "C'était moi";
    data_title: "Your data", "Vos données";
    data_hint: "Everything Soirée holds about you, as one JSON file (no password, token or secret is in it).", "Tout ce que Soirée sait de vous, en un fichier JSON (sans mot de passe, jeton ni secret).";
    data_download: "Download my data", "Télécharger mes données";
    erase_title: "Delete my account", "Supprimer mon compte";
    erase_hint: "Your account, sessions, connections and security log are deleted; parties you host are closed; your votes stay, without your name. This cannot be undone.", "Votre compte, vos sessions, connexions et journal de sécurité sont supprimés ; vos fêtes sont fermées ; vos votes restent, sans votre nom. C'est définitif.";
    field_erase_username: "Type your username to confirm", "Tapez votre nom d'utilisateur pour confirmer";
    erase_button: "Delete my account", "Supprimer mon compte";
    login_code_title: "Enter the code from your authenticator app, or a recovery code.", "Entrez le code de votre application d'authentification, ou un code de secours.";
    sessions_title: "Where you are signed in", "Où vous êtes connecté";
    sessions_hint: "Sign out a device you lost or no longer use; it will have to log in again.", "Déconnectez un appareil perdu ou que vous n'utilisez plus ; il devra se reconnecter.";
    sessions_end_others: "Sign out everywhere else", "Déconnecter tous les autres appareils";
    password_title: "Password", "Mot de passe";
    field_current_password: "Current password", "Mot de passe actuel";
    field_new_password: "New password", "Nouveau mot de passe";
    password_hint: "At least 8 characters; a few words make a long one that is easy to remember. Your other devices will be signed out.", "Au moins 8 caractères ; quelques mots font un mot de passe long et facile à retenir. Vos autres appareils seront déconnectés.";
    password_change: "Change password", "Changer le mot de passe";
    password_changed: "Password changed; your other devices are signed out.", "Mot de passe changé ; vos autres appareils sont déconnectés.";

    player_nothing: "Nothing is playing.", "Rien ne joue.";
    player_position: "Position in the song", "Position dans la chanson";
    player_previous: "Previous", "Précédent";
    player_play: "Play or pause", "Lecture ou pause";
    player_next: "Next", "Suivant";
    player_volume: "Volume", "Volume";
    player_devices: "Devices", "Appareils";
    player_add: "Find a song", "Trouver une chanson";

    new_room_title: "Host a party", "Organiser une fête";
    room_name_placeholder: "Saturday night", "Samedi soir";
    threshold_title: "When does a song play?", "Quand une chanson passe-t-elle ?";
    threshold_fixed: "After this many likes", "Après ce nombre de « j'aime »";
    threshold_fixed_hint: "Good for small parties.", "Bien pour les petites fêtes.";
    threshold_share: "When this share of the people present like it", "Quand cette part des présents l'aime";
    threshold_share_hint: "Grows with the crowd.", "Suit la taille du groupe.";
    guests_allowed: "Guests may join with a nickname, without an account", "Les invités peuvent venir avec un surnom, sans compte";
    guest_rate: "Guest votes every two minutes, per phone", "Votes d'invités toutes les deux minutes, par téléphone";
    guest_rate_hint: "Guests who join from one address share this (a phone, or a whole Wi-Fi behind a server on the internet): one script cannot decide everything. Raise it if your guests share one connection.", "Les invités venus d'une même adresse le partagent (un téléphone, ou tout un Wi-Fi derrière un serveur sur Internet) : un script ne peut pas tout décider. Augmentez-le si vos invités partagent une connexion.";
    max_guests: "Guests at most", "Invités au plus";
    max_guests_placeholder: "no limit of your own", "pas de limite à vous";
    max_guests_hint: "People with an account still get in, up to your tier's limit of people per party.", "Les personnes avec un compte entrent encore, jusqu'à la limite de personnes par fête de votre formule.";
    new_room_button: "Open the party", "Ouvrir la fête";

    room_default_title: "Party", "Fête";
    room_not_found_title: "No party has this code", "Aucune fête n'a ce code";
    room_not_found_text: "Check the code with the host (six letters and digits), or type it again on the home page.", "Vérifiez le code avec l'hôte (six lettres et chiffres), ou tapez-le à nouveau sur la page d'accueil.";
    room_code: "Code", "Code";
    room_join_title: "Join this party", "Rejoindre cette fête";
    room_join_button: "Join", "Rejoindre";
    room_nickname: "Your nickname", "Votre surnom";
    room_or: "or", "ou";
    room_sign_in_to_join: "log in to join with your account", "connectez-vous pour venir avec votre compte";
    room_now_playing: "Now playing", "En ce moment";
    room_silence: "Nothing yet: like a song to get it going.", "Rien pour l'instant : aimez une chanson pour lancer la fête.";
    room_skip: "Vote to skip", "Voter pour passer";
    room_add_title: "Add a song", "Ajouter une chanson";
    room_add_placeholder: "Search, or paste a Spotify link", "Cherchez, ou collez un lien Spotify";
    room_suggest: "Suggest one of my liked songs", "Proposer une de mes chansons aimées";
    room_queue_title: "Up next", "À suivre";
    room_queue_empty: "No songs yet. Add one above.", "Pas encore de chanson. Ajoutez-en une ci-dessus.";
    room_host_title: "You are the host", "Vous êtes l'hôte";
    room_share: "Share this link, or show the QR code:", "Partagez ce lien, ou montrez le code QR :";
    room_open_tv: "Open the TV screen", "Ouvrir l'écran TV";
    room_people: "People here", "Personnes présentes";
    room_close: "Close the party", "Fermer la fête";
    room_leave: "Leave this party", "Quitter cette fête";
    room_closed_title: "This party is over", "Cette fête est terminée";
    room_closed_text: "The host closed it. Thanks for coming!", "L'hôte l'a fermée. Merci d'être venu !";
    room_back_home: "Back home", "Retour à l'accueil";
    tv_next: "Up next", "À suivre";
    tv_join: "Join with the code", "Rejoignez avec le code";
    tv_sign_in: "Log in as the host on this screen to show the party here.", "Connectez-vous en tant qu'hôte sur cet écran pour y afficher la fête.";

    not_found_title: "Nothing here", "Rien ici";
    not_found_text: "This page does not exist. Check the address, or start from the home page.", "Cette page n'existe pas. Vérifiez l'adresse, ou repartez de l'accueil.";
}

script_texts! {
    error_generic: "Something went wrong; try again.", "Un problème est survenu ; réessayez.";
    error_network: "The server cannot be reached; check your connection.", "Le serveur est injoignable ; vérifiez votre connexion.";
    code_invalid: "A party code has six letters and digits, such as K7XQ2M.", "Un code de fête a six lettres et chiffres, comme K7XQ2M.";
    copied: "Copied", "Copié";
    invalid_credentials: "That username or password is wrong (or too many tries: wait a few minutes).", "Nom d'utilisateur ou mot de passe incorrect (ou trop d'essais : attendez quelques minutes).";
    username_taken: "This username is taken; choose another one.", "Ce nom d'utilisateur est pris ; choisissez-en un autre.";
    email_taken: "An account uses this email; log in instead, or use another one.", "Un compte utilise cet e-mail ; connectez-vous plutôt, ou utilisez-en un autre.";
    invalid_username: "Use 3 to 32 letters, digits, dots, dashes or underscores.", "Utilisez 3 à 32 lettres, chiffres, points, tirets ou soulignés.";
    invalid_email: "This does not look like an email address.", "Cela ne ressemble pas à une adresse e-mail.";
    weak_password: "Choose a longer or less common password (8 characters or more).", "Choisissez un mot de passe plus long ou moins courant (8 caractères ou plus).";
    invalid_display_name: "Use 1 to 40 characters.", "Utilisez 1 à 40 caractères.";
    invalid_language: "Choose a language from the list.", "Choisissez une langue de la liste.";
    invalid_timezone: "Use a time zone name such as Europe/Paris.", "Utilisez un nom de fuseau comme Europe/Paris.";
    invalid_client_id: "Paste the Client ID from your app's settings.", "Collez le Client ID des réglages de votre application.";
    invalid_client_secret: "Paste the Client secret from your app's settings.", "Collez le Client secret des réglages de votre application.";
    room_not_found: "No party has this code; check it with the host.", "Aucune fête n'a ce code ; vérifiez-le avec l'hôte.";
    room_closed: "This party is closed.", "Cette fête est fermée.";
    guests_not_allowed: "This party is for people with an account: log in to join.", "Cette fête est réservée aux comptes : connectez-vous pour la rejoindre.";
    removed_from_room: "The host removed you from this party.", "L'hôte vous a retiré de cette fête.";
    rate_limited: "Slow down a little; try again in a moment.", "Doucement ; réessayez dans un instant.";
    no_active_device: "Open Spotify on a phone, computer or speaker and play any song once.", "Ouvrez Spotify sur un téléphone, un ordinateur ou une enceinte et lancez une chanson une fois.";
    premium_required: "Controlling playback needs Spotify Premium.", "Le contrôle de la lecture demande Spotify Premium.";
    not_connected: "Spotify is not connected yet: go to the Connect page.", "Spotify n'est pas encore connecté : allez sur la page Connecter.";
    provider_not_configured: "Add your Spotify app on the Connect page first.", "Ajoutez d'abord votre application Spotify sur la page Connecter.";
    needs_reconnect: "Spotify needs you to connect again: go to the Connect page.", "Spotify demande de vous reconnecter : allez sur la page Connecter.";
    provider_unavailable: "Spotify cannot be reached right now; try again in a moment.", "Spotify est injoignable pour l'instant ; réessayez dans un instant.";
    invalid_track: "Paste a Spotify song link (open.spotify.com/track/…).", "Collez un lien de chanson Spotify (open.spotify.com/track/…).";
    invalid_query: "Type a few words of a title or an artist.", "Tapez quelques mots d'un titre ou d'un artiste.";
    no_liked_tracks: "Your account has no liked songs to suggest.", "Votre compte n'a pas de chansons aimées à proposer.";
    nothing_playing: "Nothing is playing.", "Rien ne joue.";
    invalid_room_name: "A party name has 1 to 80 characters.", "Un nom de fête a 1 à 80 caractères.";
    invalid_threshold: "Use a whole number of likes from 1, or a share from 1 to 100 %.", "Utilisez un nombre entier de « j'aime » à partir de 1, ou une part de 1 à 100 %.";
    invalid_guest_rate: "Use a whole number from 1 to 1000.", "Utilisez un nombre entier de 1 à 1000.";
    invalid_guest_cap: "Use a whole number from 1 to 10000, or leave it empty.", "Utilisez un nombre entier de 1 à 10000, ou laissez vide.";
    room_full: "This party is full; ask the host to make room.", "Cette fête est complète ; demandez à l'hôte de faire de la place.";
    no_guest_places: "This party takes no more guests: log in to join, or ask the host.", "Cette fête n'accepte plus d'invités : connectez-vous pour la rejoindre, ou demandez à l'hôte.";
    too_many_sockets: "This party is open in too many of your tabs; close one.", "Cette fête est ouverte dans trop de vos onglets ; fermez-en un.";
    self_service_closed: "This server does not let people choose their tier; ask the operator.", "Ce serveur ne laisse pas choisir sa formule ; demandez à l'opérateur.";
    operator_only: "Only the server's operators may do this.", "Seuls les opérateurs du serveur peuvent faire cela.";
    user_not_found: "No such account.", "Aucun compte de ce nom.";
    invalid_override: "Use a whole number, or unlimited.", "Utilisez un nombre entier, ou unlimited.";
    tier_free: "Free", "Gratuite";
    tier_premium: "Premium", "Premium";
    tier_enterprise: "Enterprise", "Entreprise";
    tier_vip: "VIP", "VIP";
    limit_open_rooms: "Parties open at once", "Fêtes ouvertes à la fois";
    limit_participants_per_room: "People per party", "Personnes par fête";
    limit_playlists: "Playlists", "Listes de lecture";
    limit_storage_bytes: "Stored music", "Musique stockée";
    limit_api_requests_per_hour: "Requests per hour by your programs (API tokens)", "Requêtes par heure de vos programmes (jetons d'API)";
    unlimited: "no limit", "sans limite";
    used_of: "of", "sur";
    overridden: "set for you by the operator", "fixé pour vous par l'opérateur";
    tier_change: "Change tier", "Changer de formule";
    tier_ask_operator: "To get more, ask the server's operator for a higher tier.", "Pour plus, demandez une formule supérieure à l'opérateur du serveur.";
    tier_history: "Changes", "Changements";
    tier_by_account: "by you", "par vous";
    tier_by_operator: "by an operator", "par un opérateur";
    tier_by_command_line: "by the server's administrator", "par l'administrateur du serveur";
    operator_badge: "operator", "opérateur";
    open_rooms_now: "parties open", "fêtes ouvertes";
    page_of: "page", "page";
    as_tier: "as", "comme";
    sign_in_to_suggest: "Log in to suggest songs you liked.", "Connectez-vous pour proposer des chansons que vous avez aimées.";
    command_refused: "Spotify refused the command.", "Spotify a refusé la commande.";
    internal_error: "Something went wrong on the server; try again.", "Un problème est survenu sur le serveur ; réessayez.";
    unauthenticated: "Your session ended; log in again.", "Votre session a pris fin ; reconnectez-vous.";
    status_connected: "Connected as", "Connecté en tant que";
    status_configured: "Ready to connect", "Prêt à connecter";
    status_not_configured: "Add your app's client id and secret", "Ajoutez l'identifiant client et le secret de votre application";
    status_needs_reconnect: "Connect again", "Reconnectez-vous";
    status_not_available: "Coming soon", "Bientôt";
    connect: "Connect", "Connecter";
    disconnect: "Disconnect", "Déconnecter";
    client_id: "Client ID", "Client ID";
    client_secret: "Client secret", "Client secret";
    secret_kept: "Saved secret ends in", "Le secret enregistré finit par";
    save_app: "Save the app", "Enregistrer l'application";
    app_settings: "Your developer app", "Votre application développeur";
    redirect_uri: "Redirect URI to register in the app:", "Redirect URI à déclarer dans l'application :";
    connected_banner: "Connected. You can host a party or open the player.", "Connecté. Vous pouvez organiser une fête ou ouvrir le lecteur.";
    connect_failed: "The connection did not go through:", "La connexion n'a pas abouti :";
    callback_access_denied: "you declined on the provider's page; nothing was connected.", "vous avez refusé sur la page du service ; rien n'a été connecté.";
    callback_invalid_client: "the provider refused the client id or secret; check them in the card below.", "le service a refusé l'identifiant client ou le secret ; vérifiez-les dans la carte ci-dessous.";
    callback_code_rejected: "the provider refused the authorization; press Connect again.", "le service a refusé l'autorisation ; appuyez à nouveau sur Connecter.";
    callback_provider_unavailable: "the provider could not be reached; try again in a moment.", "le service est injoignable ; réessayez dans un instant.";
    no_rooms: "No parties yet. Host one, or join with a code from the home page.", "Pas encore de fête. Organisez-en une, ou rejoignez-en une avec un code depuis l'accueil.";
    host_badge: "host", "hôte";
    closed_badge: "closed", "fermée";
    play: "Play", "Lire";
    add_to_queue: "Add to queue", "Ajouter à la file";
    added: "Added", "Ajoutée";
    no_devices: "No device: open Spotify on a phone, computer or speaker.", "Aucun appareil : ouvrez Spotify sur un téléphone, un ordinateur ou une enceinte.";
    playing_here: "playing here", "joue ici";
    play_here: "Play here", "Jouer ici";
    no_results: "Nothing found.", "Rien trouvé.";
    like: "Like", "J'aime";
    dislike: "Dislike", "Je n'aime pas";
    needed: "likes play a song", "« j'aime » font passer une chanson";
    state_ready: "Plays soon", "Passe bientôt";
    present: "people here", "personnes présentes";
    add: "Add", "Ajouter";
    remove: "Remove", "Retirer";
    guest: "guest", "invité";
    close_confirm: "Close the party for everyone?", "Fermer la fête pour tout le monde ?";
    skips_of: "skip votes of", "votes pour passer sur";
    host_problem: "The music cannot play:", "La musique ne peut pas jouer :";
    reconnecting: "Connection lost; reconnecting…", "Connexion perdue ; reconnexion…";
    session_this: "this device", "cet appareil";
    session_unknown: "Unknown device", "Appareil inconnu";
    session_end: "Sign out", "Déconnecter";
    session_used: "last used", "dernière utilisation";
    sessions_ended: "Other devices signed out:", "Autres appareils déconnectés :";
    wrong_password: "The current password is wrong, or there were too many tries; wait a few minutes.", "Le mot de passe actuel est faux, ou il y a eu trop d'essais ; attendez quelques minutes.";
    mfa_on: "On since", "Activée depuis";
    mfa_off: "Off.", "Désactivée.";
    mfa_codes_left: "recovery codes left", "codes de secours restants";
    invalid_code: "That code is wrong or was already used; use the newest one from your app, or a recovery code.", "Ce code est faux ou a déjà servi ; utilisez le plus récent de votre application, ou un code de secours.";
    challenge_expired: "This sign-in took too long; enter your password again.", "Cette connexion a pris trop de temps ; entrez à nouveau votre mot de passe.";
    mfa_code_required: "Enter the code from your authenticator app too.", "Entrez aussi le code de votre application d'authentification.";
    erase_mismatch: "Type your username exactly to confirm.", "Tapez exactement votre nom d'utilisateur pour confirmer.";
    erase_confirm: "Delete your account for good?", "Supprimer définitivement votre compte ?";
    attention_new_device: "A new device signed in to your account. If it was not you, sign it out and change your password.", "Un nouvel appareil s'est connecté à votre compte. Si ce n'était pas vous, déconnectez-le et changez votre mot de passe.";
    event_login_succeeded: "Signed in", "Connexion";
    event_login_failed: "Failed sign-in", "Connexion échouée";
    event_login_throttled: "Too many failed sign-ins: attempts slowed down", "Trop d'échecs : tentatives ralenties";
    event_password_changed: "Password changed", "Mot de passe changé";
    event_reauthenticated: "Password confirmed", "Mot de passe confirmé";
    event_mfa_enabled: "Two-step login turned on", "Connexion en deux étapes activée";
    event_mfa_disabled: "Two-step login turned off", "Connexion en deux étapes désactivée";
    event_recovery_codes_regenerated: "New recovery codes", "Nouveaux codes de secours";
    event_recovery_code_used: "Recovery code used", "Code de secours utilisé";
    event_session_revoked: "Device signed out", "Appareil déconnecté";
    event_connection_added: "Service connected", "Service connecté";
    event_connection_removed: "Service disconnected", "Service déconnecté";
    event_credentials_changed: "Provider app changed", "Application du service changée";
    event_data_exported: "Data downloaded", "Données téléchargées";
    event_tier_changed: "Tier changed", "Formule changée";
    event_new_device: "new device", "nouvel appareil";
    events_review: "Review in Settings", "Voir dans les Réglages";
    app_password_shown_once: "Type this into the app now; it is not shown again:", "Saisissez-le dans l'application maintenant ; il ne sera plus affiché :";
    app_password_revoke: "Revoke", "Révoquer";
    app_password_none: "No app password yet.", "Pas encore de mot de passe d'application.";
    event_app_password_created: "App password made", "Mot de passe d'application créé";
    event_app_password_revoked: "App password revoked", "Mot de passe d'application révoqué";
    library_play: "Play", "Écouter";
    sync_title: "Liked tracks", "Titres aimés";
    sync_hint: "Your likes on your connected services join your library by themselves, and at once when you ask.", "Vos titres aimés sur vos services connectés rejoignent votre bibliothèque d'eux-mêmes, et tout de suite à la demande.";
    sync_now: "Sync now", "Synchroniser";
    sync_likes: "likes", "titres aimés";
    sync_last: "last sync", "dernière synchro";
    sync_new: "new", "nouveaux";
    sync_removed: "removed", "retirés";
    sync_never: "not synced yet", "pas encore synchronisé";
    sync_running: "Syncing: page", "Synchronisation : page";
    sync_waiting: "The service asked to wait; the sync goes on at", "Le service demande d'attendre ; la synchro reprend à";
    sync_stopped: "Stopped:", "Arrêtée :";
    sync_reconnect: "connect again", "reconnectez";
    sync_failed: "The last sync failed; it is tried again at the next turn:", "La dernière synchro a échoué ; nouvel essai au prochain tour :";
    sync_drive: "Your drive on the server:", "Votre dossier sur le serveur :";
    sync_none: "Connect Spotify or SoundCloud to bring your likes here.", "Connectez Spotify ou SoundCloud pour retrouver vos titres aimés ici.";
    library_on_spotify: "On Spotify", "Sur Spotify";
    library_on_soundcloud: "On SoundCloud", "Sur SoundCloud";
    library_service_track: "Played in one of your rooms: it plays through the music service, not here.", "Jouée dans une de vos soirées : elle s'écoute sur le service de musique, pas ici.";
    library_found: "Songs found:", "Chansons trouvées :";
    library_more: "More", "Plus";
    library_nothing: "Nothing found.", "Rien trouvé.";
    library_star: "Add to favourites", "Ajouter aux favoris";
    library_unstar: "Remove from favourites", "Retirer des favoris";
    library_unknown_artist: "Unknown artist", "Artiste inconnu";
    library_unknown_album: "Songs without an album", "Chansons sans album";
    library_albums: "albums", "albums";
    library_no_favourites: "No favourite yet: tap ☆ beside a song.", "Pas encore de favori : touchez ☆ à côté d'une chanson.";
    playlist_exported: "Copied to your Spotify account:", "Copiée dans votre compte Spotify :";
    playlist_export_skipped: "songs of this server left out", "chansons de ce serveur laissées de côté";
    playlist_open_spotify: "open it in Spotify", "l'ouvrir dans Spotify";
    uploads_sending: "Uploading", "Envoi de";
    uploads_stored: "Stored:", "Enregistré :";
    uploads_duplicate: "Already in your uploads:", "Déjà dans vos envois :";
    uploads_refused: "Refused:", "Refusé :";
    uploads_none: "No upload yet.", "Aucun envoi pour l'instant.";
    uploads_delete: "Delete", "Supprimer";
    uploads_delete_confirm: "Delete this upload? Its file is removed.", "Supprimer cet envoi ? Son fichier est effacé.";
    uploads_used: "Storage used:", "Stockage utilisé :";
    uploads_of: "of", "sur";
    uploads_unlimited: "no limit", "sans limite";
    uploads_pick: "Choose one or more audio files first.", "Choisissez d'abord un ou plusieurs fichiers audio.";
    playlist_empty: "Empty: add songs from the Library.", "Vide : ajoutez des chansons depuis la Bibliothèque.";
    playlist_none: "No playlist yet.", "Pas encore de liste.";
    playlist_songs: "songs", "chansons";
    playlist_up: "Move up", "Monter";
    playlist_remove: "Remove", "Retirer";
    playlist_delete_confirm: "Delete this playlist?", "Supprimer cette liste ?";
    playlist_added: "Added to", "Ajoutée à";
    library_add_to: "Choose a playlist first (or make one on the Playlists page).", "Choisissez d'abord une liste (ou créez-en une sur la page Listes).";
}
