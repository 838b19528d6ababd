package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// azureBackend is an Azure Blob Storage container, made through the
// Azure SDK's azblob. Credentials are found as the az CLI and the SDKs
// find them: AZURE_STORAGE_CONNECTION_STRING, else the account
// (storage_account or AZURE_STORAGE_ACCOUNT) with AZURE_STORAGE_KEY or
// AZURE_STORAGE_SAS_TOKEN, else azidentity's default chain (service
// principal or workload identity from the environment, managed identity,
// the az CLI's login).
type azureBackend struct {
	c *container.Client
}

func newAzure(_ context.Context, loc Location, opts Options) (backend, error) {
	q := loc.Params
	co := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: httpClient(opts),
		// The Store retries; the SDK sends each request once.
		Retry: policy.RetryOptions{MaxRetries: -1},
	}}
	if cs := os.Getenv("AZURE_STORAGE_CONNECTION_STRING"); cs != "" {
		c, err := container.NewClientFromConnectionString(cs, loc.Bucket, co)
		if err != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_CONNECTION_STRING: %w", err)
		}
		return &azureBackend{c: c}, nil
	}
	account := firstNonEmpty(q.Get("storage_account"), os.Getenv("AZURE_STORAGE_ACCOUNT"))
	if account == "" {
		return nil, errors.New("no storage account: set storage_account in the URL or AZURE_STORAGE_ACCOUNT (or AZURE_STORAGE_CONNECTION_STRING)")
	}
	domain := firstNonEmpty(q.Get("domain"), os.Getenv("AZURE_STORAGE_DOMAIN"), "blob.core.windows.net")
	protocol := firstNonEmpty(q.Get("protocol"), os.Getenv("AZURE_STORAGE_PROTOCOL"), "https")
	emu, _ := strconv.ParseBool(firstNonEmpty(q.Get("localemu"), os.Getenv("AZURE_STORAGE_IS_LOCAL_EMULATOR"), "false"))
	svc := fmt.Sprintf("%s://%s.%s/", protocol, account, domain)
	if emu { // Azurite: the account is the first path segment
		svc = fmt.Sprintf("%s://%s/%s/", protocol, domain, account)
	}
	curl := svc + loc.Bucket
	if key := os.Getenv("AZURE_STORAGE_KEY"); key != "" {
		cred, err := container.NewSharedKeyCredential(account, key)
		if err != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_KEY: %w", err)
		}
		c, err := container.NewClientWithSharedKeyCredential(curl, cred, co)
		if err != nil {
			return nil, err
		}
		return &azureBackend{c: c}, nil
	}
	if sas := os.Getenv("AZURE_STORAGE_SAS_TOKEN"); sas != "" {
		c, err := container.NewClientWithNoCredential(curl+"?"+sas, co)
		if err != nil {
			return nil, err
		}
		return &azureBackend{c: c}, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: httpClient(opts)}})
	if err != nil {
		return nil, fmt.Errorf("find Azure credentials: %w", err)
	}
	c, err := container.NewClient(curl, cred, co)
	if err != nil {
		return nil, err
	}
	return &azureBackend{c: c}, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (b *azureBackend) statusOf(err error) int {
	st, _ := azErr(err)
	return st
}

// azErr is (status, err) for a failed SDK call.
func azErr(err error) (int, error) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode, err
	}
	return 0, err
}

// etag is an ETag as the HTTP headers spell it, quoted: a listing gives
// it bare (0x8D...), a GET or HEAD quoted, and the two must compare equal
// for an object opened from a listing to be read.
func etag(e *azcore.ETag) string {
	if e == nil || *e == "" {
		return ""
	}
	s := string(*e)
	if !strings.HasPrefix(s, `"`) && !strings.HasPrefix(s, "W/") {
		s = `"` + s + `"`
	}
	return s
}

func (b *azureBackend) stat(ctx context.Context, key string) (ObjectInfo, int, error) {
	p, err := b.c.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		st, err := azErr(err)
		return ObjectInfo{}, st, err
	}
	info := ObjectInfo{Key: key, Version: etag(p.ETag)}
	if p.ContentLength != nil {
		info.Size = *p.ContentLength
	}
	if p.LastModified != nil {
		info.ModTime = *p.LastModified
	}
	return info, 0, nil
}

func (b *azureBackend) list(ctx context.Context, prefix, after string, fn func(ObjectInfo) error) (int, error) {
	pager := b.c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return azErr(err)
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name == nil || *it.Name <= after {
				continue
			}
			info := ObjectInfo{Key: *it.Name}
			if p := it.Properties; p != nil {
				info.Version = etag(p.ETag)
				if p.ContentLength != nil {
					info.Size = *p.ContentLength
				}
				if p.LastModified != nil {
					info.ModTime = *p.LastModified
				}
			}
			if err := fn(info); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

func (b *azureBackend) get(ctx context.Context, key, version string, off, n int64) (io.ReadCloser, int, error) {
	o := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: n}}
	if version != "" {
		e := azcore.ETag(version)
		o.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	r, err := b.c.NewBlobClient(key).DownloadStream(ctx, o)
	if err != nil {
		st, err := azErr(err)
		return nil, st, err
	}
	if got := etag(r.ETag); version != "" && got != version {
		r.Body.Close()
		return nil, http.StatusPreconditionFailed, errVersion(version, got)
	}
	return r.Body, 0, nil
}

func accessCond(c cond) *blob.AccessConditions {
	var e azcore.ETag
	switch {
	case c.absent:
		e = azcore.ETagAny
		return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &e}}
	case c.match != "":
		e = azcore.ETag(c.match)
		return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	return nil
}

func (b *azureBackend) putSmall(ctx context.Context, key string, data []byte, c cond) (string, int, error) {
	r, err := b.c.NewBlockBlobClient(key).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)),
		&blockblob.UploadOptions{AccessConditions: accessCond(c)})
	if err != nil {
		st, err := azErr(err)
		return "", st, err
	}
	return etag(r.ETag), 0, nil
}

// Parts are staged blocks, invisible until the block list is committed;
// blocks never committed expire on their own (after a week).
func (b *azureBackend) startUpload(_ context.Context, key string) (string, int, error) {
	return newRunID(), 0, nil
}

// blockID is part n's block ID: unique to the upload, of one length.
func blockID(id string, n int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", id, n))
}

func (b *azureBackend) uploadPart(ctx context.Context, key, id string, n int, data []byte) (string, int, error) {
	bid := blockID(id, n)
	_, err := b.c.NewBlockBlobClient(key).StageBlock(ctx, bid, streaming.NopCloser(bytes.NewReader(data)), nil)
	if err != nil {
		st, err := azErr(err)
		return "", st, err
	}
	return bid, 0, nil
}

func (b *azureBackend) completeUpload(ctx context.Context, key, _ string, tags []string) (int, error) {
	_, err := b.c.NewBlockBlobClient(key).CommitBlockList(ctx, tags, nil)
	return azErr(err)
}

// Deleting a blob discards its uncommitted blocks.
func (b *azureBackend) uploadSurvivesDelete() bool { return false }

// The ETag of a committed block list says nothing of its blocks.
func (b *azureBackend) completedVersion([]string) (string, bool) { return "", false }

func (b *azureBackend) abortUpload(context.Context, string, string) (int, error) { return 0, nil }

func (b *azureBackend) copy(ctx context.Context, src, dst string, _ int64) (int, error) {
	d := b.c.NewBlobClient(dst)
	r, err := d.StartCopyFromURL(ctx, b.c.NewBlobClient(src).URL(), nil)
	if err != nil {
		return azErr(err)
	}
	status := r.CopyStatus
	for wait := 50 * time.Millisecond; status != nil && *status == blob.CopyStatusTypePending; wait = min(2*wait, 2*time.Second) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		p, err := d.GetProperties(ctx, nil)
		if err != nil {
			return azErr(err)
		}
		status = p.CopyStatus
	}
	if status != nil && *status != blob.CopyStatusTypeSuccess {
		return 0, fmt.Errorf("copy of %s ended %s", src, *status)
	}
	return 0, nil
}

func (b *azureBackend) remove(ctx context.Context, key string) (int, error) {
	_, err := b.c.NewBlobClient(key).Delete(ctx, nil)
	return azErr(err)
}
