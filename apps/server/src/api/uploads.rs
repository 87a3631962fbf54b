//! People's uploads: `POST /api/v1/library/uploads` (multipart, one or more files, each
//! streamed to disk as it arrives), `GET /api/v1/library/uploads` (yours, with the quota),
//! `DELETE /api/v1/library/uploads/{id}`.

use poem::http::StatusCode;
use poem::web::Multipart;
use poem::{Request, RequestBody};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi, Tags,
};
use soiree_library::{DeleteUploadError, TrackId, UploadError, UploadsService};
use tokio_util::compat::TokioAsyncReadCompatExt as _;

use crate::api::library::SongOut;
use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

/// The path uploads are posted to (its body is not held to the API's 1 MiB: each file is
/// capped by `SOIREE_MAX_UPLOAD_MB` and the quota while it streams).
pub(crate) const UPLOADS_PATH: &str = "/api/v1/library/uploads";

/// The most files one request may carry.
const MOST_FILES: usize = 50;

#[derive(Tags)]
enum UploadTags {
    /// The music library: the operator's folder, searched and streamed.
    Library,
}

/// A multipart body read part by part (poem's `Multipart`), documented as `file` parts.
pub(crate) struct UploadParts(Multipart);

impl<'a> ApiExtractor<'a> for UploadParts {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<MetaRequest> {
        let binary =
            MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        let mut files = MetaSchema::new("array");
        files.items = Some(Box::new(binary));
        files.min_items = Some(1);
        files.max_items = Some(MOST_FILES);
        files.description = Some(
            "The audio files (MP3, FLAC, Ogg, Opus, M4A, AAC, WAV), each in a part named `file`.",
        );
        let mut body = MetaSchema::new("object");
        body.properties = vec![("file", MetaSchemaRef::Inline(Box::new(files)))];
        body.required = vec!["file"];
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: "multipart/form-data",
                schema: MetaSchemaRef::Inline(Box::new(body)),
            }],
            required: true,
        })
    }

    fn register(_registry: &mut Registry) {}

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        <Multipart as poem::FromRequest>::from_request(request, body)
            .await
            .map(Self)
    }
}

/// A file stored.
#[derive(Object, Debug)]
struct UploadedOut {
    song: SongOut,
    /// You had uploaded this content before: nothing new was stored.
    duplicate: bool,
}

/// A file refused, with why.
#[derive(Object, Debug)]
struct RefusedOut {
    file_name: String,
    /// `upload_too_large`, `quota_exceeded` or `not_audio`.
    code: String,
    detail: String,
}

#[derive(Object, Debug)]
struct UploadsPosted {
    uploaded: Vec<UploadedOut>,
    refused: Vec<RefusedOut>,
}

/// Your uploads and your storage quota.
#[derive(Object, Debug)]
struct UploadsOut {
    /// Newest first.
    uploads: Vec<SongOut>,
    /// What counts against your quota: your uploads and your drive's SoundCloud downloads.
    used_bytes: u64,
    /// Absent: no limit.
    #[oai(skip_serializing_if_is_none)]
    limit_bytes: Option<u64>,
    /// The most one file may have.
    max_file_bytes: u64,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "PostResponse::bad_request_handler")]
enum PostResponse {
    /// At least one file stored (`refused` lists the others, with why).
    #[oai(status = 201)]
    Created(Json<UploadsPosted>),
    /// `bad_request`: not a multipart body, a part not named `file`, no file, or more than 50.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `quota_exceeded`: no file fits in what is left of your storage quota.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `upload_too_large`: a file passes the size cap (and none was stored).
    #[oai(status = 413, content_type = "application/problem+json")]
    TooLarge(Json<Problem>),
    /// `not_audio`: the content is not audio the library plays (and none was stored).
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// `uploads_disabled` (a command without uploads) or `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(PostResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 413 => TooLarge,
    422 => Unprocessable, 500 => Internal,
});

#[derive(ApiResponse)]
enum ListResponse {
    #[oai(status = 200)]
    Ok(Json<UploadsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ListResponse { 401 => Unauthenticated, 500 => Internal } else internal);

#[derive(ApiResponse)]
#[oai(bad_request_handler = "DeleteResponse::bad_request_handler")]
enum DeleteResponse {
    /// Deleted: its bytes are free again.
    #[oai(status = 204)]
    Deleted,
    /// `bad_request`: the id is not a track id.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `upload_not_found`: no such upload among yours.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(DeleteResponse {
    400 => BadRequest, 401 => Unauthenticated, 404 => NotFound, 500 => Internal,
});

/// Why a file was refused, as a problem.
fn refusal(error: &UploadError) -> Problem {
    match error {
        UploadError::TooLarge { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            "The file is too large",
            capitalised(error),
        ),
        UploadError::QuotaExceeded { .. } => Problem::new(
            StatusCode::FORBIDDEN,
            "quota_exceeded",
            "Storage quota reached",
            capitalised(error),
        ),
        UploadError::NotAudio(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_audio",
            "Not audio",
            capitalised(error),
        ),
        UploadError::Unknown(error) => Problem::internal(error),
    }
}

/// People's uploads.
pub(crate) struct UploadsApi {
    pub(crate) state: AppState,
}

impl UploadsApi {
    fn uploads(&self) -> Result<&UploadsService, Problem> {
        self.state
            .library
            .uploads
            .as_deref()
            .ok_or_else(|| Problem::internal(&"uploads are not served by this process"))
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "UploadTags::Library")]
impl UploadsApi {
    /// Uploads audio files to your library, within your tier's storage quota. Each file is
    /// written to disk as it arrives, read by its content (not its name), and kept once per
    /// content; a file past the size cap or the quota is stopped and leaves nothing behind.
    #[oai(path = "/library/uploads", method = "post")]
    async fn upload(&self, auth: SessionAuth, parts: UploadParts) -> PostResponse {
        let uploads = match self.uploads() {
            Ok(uploads) => uploads,
            Err(problem) => return PostResponse::from_problem(problem),
        };
        let owner = auth.caller().user.id;
        let UploadParts(mut multipart) = parts;
        let mut posted = UploadsPosted {
            uploaded: Vec::new(),
            refused: Vec::new(),
        };
        let mut first_refusal = None;
        let mut files = 0;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) => {
                    return PostResponse::from_problem(Problem::bad_request(format!(
                        "The multipart body cannot be read ({error}); send each file in a part named `file`."
                    )));
                }
            };
            if field.name() != Some("file") {
                return PostResponse::from_problem(Problem::bad_request(format!(
                    "Unknown part {:?}: send each file in a part named `file`, and nothing else.",
                    field.name().unwrap_or_default()
                )));
            }
            files += 1;
            if files > MOST_FILES {
                return PostResponse::from_problem(Problem::bad_request(
                    "At most 50 files a request; send the others in another.".to_owned(),
                ));
            }
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            let mut content = field.into_async_read().compat();
            match uploads.upload(owner, &file_name, None, &mut content).await {
                Ok(stored) => posted.uploaded.push(UploadedOut {
                    song: SongOut::from(stored.track),
                    duplicate: stored.duplicate,
                }),
                Err(UploadError::Unknown(error)) => {
                    return PostResponse::from_problem(Problem::internal(&error));
                }
                Err(error) => {
                    let problem = refusal(&error);
                    posted.refused.push(RefusedOut {
                        file_name,
                        code: problem.code.clone(),
                        detail: problem.detail.clone(),
                    });
                    first_refusal.get_or_insert(problem);
                }
            }
        }
        match (posted.uploaded.is_empty(), first_refusal) {
            (false, _) => PostResponse::Created(Json(posted)),
            (true, Some(problem)) => PostResponse::from_problem(problem),
            (true, None) => PostResponse::from_problem(Problem::bad_request(
                "No file: send each file in a multipart part named `file`.".to_owned(),
            )),
        }
    }

    /// Your uploads, newest first, with your storage quota.
    #[oai(path = "/library/uploads", method = "get")]
    async fn list(&self, auth: SessionAuth) -> ListResponse {
        let uploads = match self.uploads() {
            Ok(uploads) => uploads,
            Err(problem) => return ListResponse::from_problem(problem),
        };
        match uploads.usage(auth.caller().user.id).await {
            Ok(usage) => ListResponse::Ok(Json(UploadsOut {
                uploads: usage.tracks.into_iter().map(SongOut::from).collect(),
                used_bytes: usage.used_bytes,
                limit_bytes: usage.limit_bytes,
                max_file_bytes: uploads.max_file_bytes(),
            })),
            Err(error) => ListResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// Deletes one of your uploads and its file; its bytes of the quota are free at once.
    #[oai(path = "/library/uploads/:id", method = "delete")]
    async fn delete(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> DeleteResponse {
        let uploads = match self.uploads() {
            Ok(uploads) => uploads,
            Err(problem) => return DeleteResponse::from_problem(problem),
        };
        match uploads
            .delete(auth.caller().user.id, TrackId::from_uuid(id.0))
            .await
        {
            Ok(()) => DeleteResponse::Deleted,
            Err(error @ DeleteUploadError::NotFound) => DeleteResponse::from_problem(Problem::new(
                StatusCode::NOT_FOUND,
                "upload_not_found",
                "No such upload",
                capitalised(&error),
            )),
            Err(DeleteUploadError::Unknown(error)) => {
                DeleteResponse::from_problem(Problem::internal(&error))
            }
        }
    }
}
