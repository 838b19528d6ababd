package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// s3Backend is an S3 bucket, or a bucket of an S3-compatible store, made
// through aws-sdk-go-v2. The SDK finds credentials and the region as the
// AWS CLI does: environment (AWS_ACCESS_KEY_ID, AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL, ...), the shared config and credentials
// files (profiles, SSO, assume-role, credential_process), web identity
// (EKS), the ECS container and EC2 instance metadata endpoints.
type s3Backend struct {
	c      *s3.Client
	bucket string
	// body are the options of requests with a body (parts, small
	// objects): see loopbackBody.
	body []func(*s3.Options)
	crc  types.ChecksumAlgorithm
}

// unsignedFirst sets the payload hash of a request to UNSIGNED-PAYLOAD.
type unsignedFirst struct{}

func (unsignedFirst) ID() string { return "splitdata:UnsignedPayloadFirst" }

func (unsignedFirst) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error) {
	return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
}

// loopbackBody makes the requests with a body to an S3-compatible
// store on this machine's loopback over plain HTTP carry an unsigned
// payload and a CRC32 checksum header instead of the SigV4 payload
// SHA-256: the request is still signed, the store still checks the
// bytes it received (MinIO, Ceph; gofakes3 ignores it), and no network
// lies between client and store for the SHA-256 to guard. Over HTTPS and
// to any other host nothing changes (the SDK signs the payload).
func loopbackBody(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// defaultS3Region is the region used when none is configured anywhere:
// what S3-compatible stores (MinIO, Ceph) expect, and the region that
// answers for buckets elsewhere with a redirect the SDK does not follow,
// hence the hint in that error.
const defaultS3Region = "us-east-1"

func newS3(ctx context.Context, loc Location, opts Options) (backend, error) {
	q := loc.Params
	var lo []func(*config.LoadOptions) error
	var hc config.HTTPClient = opts.HTTPClient
	if opts.HTTPClient == nil {
		// The SDK's own client, which AWS_CA_BUNDLE can configure.
		hc = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = max(64, 4*opts.ReadParallel)
		})
	}
	lo = append(lo, config.WithHTTPClient(hc),
		// The Store retries every request itself (reads resume where a
		// dropped body stopped), so the SDK sends each request once.
		config.WithRetryMaxAttempts(1),
		// Checksums only where S3 requires them: S3-compatible stores
		// do not all accept the trailing checksums newer SDKs send.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	if r := q.Get("region"); r != "" {
		lo = append(lo, config.WithRegion(r))
	}
	if p := q.Get("profile"); p != "" {
		lo = append(lo, config.WithSharedConfigProfile(p))
	}
	if b, _ := strconv.ParseBool(q.Get("anonymous")); b {
		lo = append(lo, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	if b, _ := strconv.ParseBool(q.Get("dualstack")); b {
		lo = append(lo, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
	}
	if b, _ := strconv.ParseBool(q.Get("fips")); b {
		lo = append(lo, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultS3Region
	}
	endpoint := q.Get("endpoint")
	pathStyle, _ := strconv.ParseBool(q.Get("use_path_style"))
	noHTTPS, _ := strconv.ParseBool(q.Get("disable_https"))
	immutable, _ := strconv.ParseBool(q.Get("hostname_immutable"))
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle || immutable
		o.EndpointOptions.DisableHTTPS = noHTTPS
	})
	b := &s3Backend{c: c, bucket: loc.Bucket}
	if loopbackBody(endpoint) {
		b.crc = types.ChecksumAlgorithmCrc32
		b.body = []func(*s3.Options){func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
				// First in Finalize, so that the checksum middleware
				// finds the payload hash set and does not compute it.
				return st.Finalize.Add(unsignedFirst{}, middleware.Before)
			})
		}}
	}
	return b, nil
}

// httpClient is opts' client, or one whose connection pool keeps enough
// idle connections for parallel ranged reads of several objects.
func httpClient(opts Options) *http.Client {
	if opts.HTTPClient != nil {
		return opts.HTTPClient
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(64, 4*opts.ReadParallel)
	return &http.Client{Transport: t}
}

// s3Status is the HTTP status of an SDK error, 0 when there was no
// answer.
func s3Status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func (b *s3Backend) statusOf(err error) int { return s3Status(err) }

// s3Err is (status, err) for a failed SDK call.
func s3Err(err error) (int, error) { return s3Status(err), err }

func (b *s3Backend) stat(ctx context.Context, key string) (ObjectInfo, int, error) {
	out, err := b.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		st, err := s3Err(err)
		return ObjectInfo{}, st, err
	}
	info := ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), Version: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		info.ModTime = *out.LastModified
	}
	return info, 0, nil
}

func (b *s3Backend) list(ctx context.Context, prefix, after string, fn func(ObjectInfo) error) (int, error) {
	in := &s3.ListObjectsV2Input{Bucket: &b.bucket, Prefix: &prefix}
	if after != "" {
		in.StartAfter = &after
	}
	p := s3.NewListObjectsV2Paginator(b.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s3Err(err)
		}
		for _, o := range page.Contents {
			info := ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Version: aws.ToString(o.ETag)}
			if o.LastModified != nil {
				info.ModTime = *o.LastModified
			}
			if err := fn(info); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

// errVersion is the error of a read answered with another version than
// the one asked for, by a store that ignores If-Match.
func errVersion(want, got string) error {
	return fmt.Errorf("%w: read version %s, opened version %s", ErrChanged, got, want)
}

func (b *s3Backend) get(ctx context.Context, key, version string, off, n int64) (io.ReadCloser, int, error) {
	in := &s3.GetObjectInput{Bucket: &b.bucket, Key: &key,
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))}
	if version != "" {
		in.IfMatch = &version
	}
	out, err := b.c.GetObject(ctx, in)
	if err != nil {
		return s3ErrBody(err)
	}
	if version != "" && aws.ToString(out.ETag) != version {
		out.Body.Close()
		return nil, http.StatusPreconditionFailed, errVersion(version, aws.ToString(out.ETag))
	}
	return out.Body, 0, nil
}

func s3ErrBody(err error) (io.ReadCloser, int, error) {
	st, err := s3Err(err)
	return nil, st, err
}

func (b *s3Backend) putSmall(ctx context.Context, key string, data []byte, c cond) (string, int, error) {
	in := &s3.PutObjectInput{Bucket: &b.bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ChecksumAlgorithm: b.crc}
	switch {
	case c.absent:
		in.IfNoneMatch = aws.String("*")
	case c.match != "":
		in.IfMatch = aws.String(c.match)
	}
	out, err := b.c.PutObject(ctx, in, b.body...)
	if err != nil {
		st, err := s3Err(err)
		return "", st, err
	}
	return aws.ToString(out.ETag), 0, nil
}

func (b *s3Backend) startUpload(ctx context.Context, key string) (string, int, error) {
	out, err := b.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		st, err := s3Err(err)
		return "", st, err
	}
	return aws.ToString(out.UploadId), 0, nil
}

func (b *s3Backend) uploadPart(ctx context.Context, key, id string, n int, data []byte) (string, int, error) {
	out, err := b.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b.bucket, Key: &key, UploadId: &id,
		PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		ChecksumAlgorithm: b.crc}, b.body...)
	if err != nil {
		st, err := s3Err(err)
		return "", st, err
	}
	return aws.ToString(out.ETag), 0, nil
}

func (b *s3Backend) completeUpload(ctx context.Context, key, id string, tags []string) (int, error) {
	parts := make([]types.CompletedPart, len(tags))
	for i, t := range tags {
		parts[i] = types.CompletedPart{ETag: aws.String(t), PartNumber: aws.Int32(int32(i + 1))}
	}
	_, err := b.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b.bucket, Key: &key,
		UploadId: &id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return s3Err(err)
}

// An upload outlives a DELETE of its key: completing it afterwards
// creates the object.
func (b *s3Backend) uploadSurvivesDelete() bool { return true }

func (b *s3Backend) listUploads(ctx context.Context, prefix string, fn func(key, id string) error) (int, error) {
	p := s3.NewListMultipartUploadsPaginator(b.c, &s3.ListMultipartUploadsInput{Bucket: &b.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var ae interface{ ErrorCode() string } // smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload" {
			// gofakes3's answer for a bucket no upload was ever
			// started in; a missing bucket is NoSuchBucket.
			return 0, nil
		}
		if err != nil {
			return s3Err(err)
		}
		for _, u := range page.Uploads {
			if err := fn(aws.ToString(u.Key), aws.ToString(u.UploadId)); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

// completedVersion is the ETag S3 gives the object an upload of parts
// with tags (their ETags) completes: the MD5 of the parts' MD5s, "-" and
// the number of parts. ok is false when a tag is not an MD5 (SSE-KMS,
// some S3-compatible stores), and nothing can be said.
func (b *s3Backend) completedVersion(tags []string) (string, bool) {
	h := md5.New()
	for _, t := range tags {
		d, err := hex.DecodeString(strings.Trim(t, `"`))
		if err != nil || len(d) != md5.Size {
			return "", false
		}
		h.Write(d)
	}
	return fmt.Sprintf(`"%x-%d"`, h.Sum(nil), len(tags)), true
}

func (b *s3Backend) abortUpload(ctx context.Context, key, id string) (int, error) {
	_, err := b.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &key, UploadId: &id})
	return s3Err(err)
}

// maxCopy is the largest object S3 copies in one CopyObject request; a
// larger one is copied in parts (UploadPartCopy) of copyPart bytes.
const (
	maxCopy  = 5 << 30
	copyPart = 1 << 30
)

func (b *s3Backend) copy(ctx context.Context, src, dst string, size int64) (int, error) {
	source := url.PathEscape(b.bucket) + "/" + escapeKey(src)
	if size <= maxCopy {
		_, err := b.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b.bucket, Key: &dst, CopySource: &source})
		return s3Err(err)
	}
	id, st, err := b.startUpload(ctx, dst)
	if err != nil {
		return st, err
	}
	var tags []string
	for off, n := int64(0), 1; off < size; off, n = off+copyPart, n+1 {
		r := fmt.Sprintf("bytes=%d-%d", off, min(off+copyPart, size)-1)
		out, err := b.c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b.bucket, Key: &dst, UploadId: &id,
			PartNumber: aws.Int32(int32(n)), CopySource: &source, CopySourceRange: &r})
		if err != nil {
			b.abortUpload(context.WithoutCancel(ctx), dst, id)
			return s3Err(err)
		}
		tags = append(tags, aws.ToString(out.CopyPartResult.ETag))
	}
	if st, err := b.completeUpload(ctx, dst, id, tags); err != nil {
		b.abortUpload(context.WithoutCancel(ctx), dst, id)
		return st, err
	}
	return 0, nil
}

// escapeKey escapes each segment of a key for a copy source header.
func escapeKey(k string) string {
	segs := strings.Split(k, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (b *s3Backend) remove(ctx context.Context, key string) (int, error) {
	_, err := b.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &key})
	return s3Err(err)
}
