package demoupstream

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Avatar upload limits of OComms' /api/upload/avatar route.
const (
	maxAvatarSize   = 2 << 20
	maxUploadBody   = 10 << 20
	avatarURLPrefix = "/uploads/avatars/"
)

// avatarTypes is the route's allow-list of client-declared types.
var avatarTypes = []string{"image/jpeg", "image/png", "image/webp", "image/gif"}

// serveAvatar serves POST /api/upload/avatar: multipart field "file", a
// declared image type, at most 2 MB (413 above, or when the whole body
// passes 10 MB); the stored name keeps the client's extension, as OComms
// v0.1.0 does. Nothing is stored.
func (h *Handler) serveAvatar(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		io.Copy(io.Discard, r.Body)
		writeAppJSON(w, http.StatusInternalServerError, appError{"Failed to upload avatar"})
		return
	}
	var found bool
	var size int64
	var fileType, fileName string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			n, copyErr := io.Copy(io.Discard, part)
			if part.FormName() == "file" && !found {
				found, size = true, n
				fileType, fileName = part.Header.Get("Content-Type"), part.FileName()
			}
			err = copyErr
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				writeAppJSON(w, http.StatusRequestEntityTooLarge, appError{"File too large. Maximum size: 2MB"})
				return
			}
			writeAppJSON(w, http.StatusInternalServerError, appError{"Failed to upload avatar"})
			return
		}
	}
	switch {
	case !found:
		writeAppJSON(w, http.StatusBadRequest, appError{"No file provided"})
	case !slices.Contains(avatarTypes, fileType):
		writeAppJSON(w, http.StatusBadRequest, appError{"Invalid file type. Allowed: JPEG, PNG, WebP, GIF"})
	case size > maxAvatarSize:
		writeAppJSON(w, http.StatusRequestEntityTooLarge, appError{"File too large. Maximum size: 2MB"})
	default:
		writeAppJSON(w, http.StatusOK, struct {
			AvatarPath string `json:"avatarPath"`
		}{avatarURLPrefix + newUUID() + "." + avatarExtension(fileName)})
	}
}

// avatarExtension is JavaScript's name.split(".").pop() || "jpg".
func avatarExtension(name string) string {
	ext := name[strings.LastIndex(name, ".")+1:]
	if ext == "" {
		return "jpg"
	}
	return ext
}
