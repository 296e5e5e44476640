// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generation: round trips through the parser at every size boundary, the
 * streaming, threaded-file and pipe paths agreeing, every hash checked
 * against OpenSSL computed here, and fixed inputs whose expected content
 * information was computed independently (tests/unit/pccrc_reference.py);
 * files read through mappings, and files cut while they are hashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "testutil.h"

#include "chunker.h"
#include "keys.h"
#include "pccrc.h"
#include "gen_file.h"
#include "mapped_read.h"

static const char secret[] = "no more secrets";

/* pattern(100000, seed 7), V1 SHA-256, passphrase "no more secrets" */
static const char v1_expected[] =
	"00010c8000000000000000000000010000000000000000000000a086010000000100"
	"d265721b0d7185a3049854982b14dee80a1889e5685e1afd55b09563d6accc7b4201"
	"3ab89f7101f6d2f511775eb3e87542d1e509961aac01becc04e8a5e70f5102000000"
	"8f423266b10b7c13e4837402af518dfd2d04b113b7af10e0c3d7218291678474d7bc"
	"8772a37a62c7ff020f4f39b51b0d6325ef5fc84371afcc563bbc975f689c";

/* pattern(300000, seed 11), V2, passphrase "no more secrets" */
static const char v2_expected[] =
	"00020400000000000000000000000000000000000000000000000000000000000000"
	"011000013ef613226f03841bdbf02af37efb4982967f884214f2d99bfa3312370bf3"
	"7d804840437d89361f4af33011b11537d01f93f67468d9d3ee4733d4245b8620678b"
	"5c1b000114de414251ec144036fb9d970df27b06e954b00bd62e635c42dcefc91647"
	"db2c46f5968568f08b512255be3623d2bdd340f20eb2587e3c00f15becc727db1233"
	"37ae00010bdbd24d347266d2feb0e94fb6c365e837ba82cd27da77c7afed7abb3cbc"
	"04f16ea2b5027568a73119aa06bc3103228c83244eecdd5804287db8ba30af7c35eb"
	"ac6c0001343189e5119f2341e58aacbaf9051ec8dea4a7fc1cd64d84fe5e6a710974"
	"6422239da50b3a16a359fa55debeb6d52f7ee3d41863c6c73dd279494a580e7c2a63"
	"cf22";

static struct pd_gen_opts opts_for(unsigned version, unsigned alg,
				   unsigned threads)
{
	struct pd_gen_opts o = { .version = version, .hash_alg = alg,
				 .threads = threads };

	assert_int_equal(pd_key_ks(version, secret, strlen(secret), o.ks), 0);
	return o;
}

/* Streams data in irregular pieces (1 byte up to 200 KiB). */
static struct pd_ci *gen_stream(const struct pd_gen_opts *o,
				const uint8_t *data, size_t len)
{
	struct pd_gen *g = pd_gen_new(o);
	struct pd_ci *ci = NULL;
	size_t pos = 0, step = 1;

	assert_non_null(g);
	while (pos < len) {
		size_t n = step < len - pos ? step : len - pos;

		assert_int_equal(pd_gen_update(g, data + pos, n), 0);
		pos += n;
		step = step * 7 % 200003 + 1;
	}
	assert_int_equal(pd_gen_final(g, &ci), 0);
	pd_gen_free(g);
	return ci;
}

static struct pd_ci *gen_file(const struct pd_gen_opts *o,
			      const uint8_t *data, size_t len)
{
	char path[] = "/tmp/pd-gen-XXXXXX";
	int fd = mkstemp(path);
	struct pd_ci *ci = NULL;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(pd_gen_fd(fd, o, NULL, NULL, &ci), 0);
	close(fd);
	return ci;
}

static struct pd_ci *gen_pipe(const struct pd_gen_opts *o,
			      const uint8_t *data, size_t len)
{
	struct pd_ci *ci = NULL;
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t pos = 0;

		close(p[0]);
		while (pos < len) {
			ssize_t n = write(p[1], data + pos, len - pos);

			if (n <= 0)
				_exit(1);
			pos += n;
		}
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(pd_gen_fd(p[0], o, NULL, NULL, &ci), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	return ci;
}

static uint8_t *encode(const struct pd_ci *ci, size_t *len)
{
	uint8_t *buf;

	*len = pd_ci_encoded_size(ci);
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(pd_ci_encode(ci, buf, *len), (long)*len);
	return buf;
}

/* ci (consumed) encodes to exactly want[0..len). */
static void assert_same_encoding(struct pd_ci *ci, const uint8_t *want,
				 size_t len)
{
	size_t n;
	uint8_t *got = encode(ci, &n);

	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
	free(got);
	pd_ci_free(ci);
}

static const EVP_MD *md_of(unsigned alg)
{
	return alg == PD_HASH_SHA384 ? EVP_sha384() :
	       alg == PD_HASH_SHA256 ? EVP_sha256() : EVP_sha512();
}

/* Every field of ci recomputed from data with OpenSSL. */
static void check_against_data(const struct pd_ci *ci, const uint8_t *data,
			       size_t len, const uint8_t ks[32])
{
	const EVP_MD *md = md_of(ci->hash_alg);
	unsigned h = ci->hash_len, mdlen;
	uint8_t d[64], kp[64];
	uint64_t off = 0;
	uint32_t s, b;

	for (s = 0; s < ci->nsegments; s++) {
		const struct pd_ci_segment *seg = &ci->segments[s];

		assert_int_equal(seg->offset, off);
		assert_true(seg->size > 0);
		if (ci->version == 1) {
			assert_true(seg->size <= PD_SEGMENT_SIZE);
			assert_true(s + 1 == ci->nsegments ||
				    seg->size == PD_SEGMENT_SIZE);
		} else {
			assert_true(seg->size <= PD_V2_MAX_SEGMENT);
		}
		for (b = 0; b < seg->nblocks; b++) {
			size_t at = off + (size_t)b * seg->block_size;
			size_t n = seg->offset + seg->size - at;

			if (n > seg->block_size)
				n = seg->block_size;
			EVP_Digest(data + at, n, d, &mdlen, md, NULL);
			assert_memory_equal(seg->block_hashes + b * h, d, h);
		}
		if (ci->version == 1)
			EVP_Digest(seg->block_hashes, (size_t)seg->nblocks * h,
				   d, &mdlen, md, NULL);
		else
			memcpy(d, seg->block_hashes, h);
		assert_memory_equal(seg->hod, d, h);
		HMAC(md, ks, 32, seg->hod, h, kp, &mdlen);
		assert_memory_equal(seg->kp, kp, h);
		off += seg->size;
	}
	assert_int_equal(off, len);
	assert_int_equal(pd_ci_range(ci).end, len);
}

/* All paths give byte-identical output that parses back and checks out. */
static void check_all_paths(unsigned version, unsigned alg, size_t len)
{
	struct pd_gen_opts o1 = opts_for(version, alg, 1);
	struct pd_gen_opts o2 = opts_for(version, alg, 2);
	uint8_t *data = malloc(len ? len : 1), *a;
	struct pd_ci *ci, *back;
	size_t alen;

	assert_non_null(data);
	fill_pattern(data, len, len + version);
	ci = gen_stream(&o1, data, len);
	check_against_data(ci, data, len, o1.ks);
	a = encode(ci, &alen);
	assert_int_equal(pd_ci_parse(a, alen, &back, NULL), 0);
	assert_same_encoding(back, a, alen);

	assert_same_encoding(gen_file(&o2, data, len), a, alen);
	/* one thread: a window's chunking rides along the last one's hashing */
	assert_same_encoding(gen_file(&o1, data, len), a, alen);
	assert_same_encoding(gen_pipe(&o1, data, len), a, alen);
	pd_ci_free(ci);
	free(a);
	free(data);
}

static void v1_boundaries(void **state)
{
	static const size_t sizes[] = {
		0, 1, 65535, 65536, 65537, 3 * 65536 + 5,
		PD_SEGMENT_SIZE - 1, PD_SEGMENT_SIZE, PD_SEGMENT_SIZE + 1,
		2 * (size_t)PD_SEGMENT_SIZE + 65536 + 7,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_all_paths(1, PD_HASH_SHA256, sizes[i]);
}

static void v1_sha384_sha512(void **state)
{
	check_all_paths(1, PD_HASH_SHA384, 200000);
	check_all_paths(1, PD_HASH_SHA512, PD_SEGMENT_SIZE + 3);
}

static void v2_boundaries(void **state)
{
	static const size_t sizes[] = {
		0, 1, PD_CHUNK_MIN, PD_CHUNK_MIN + 1, PD_CHUNK_MAX,
		PD_CHUNK_MAX + 1, 1u << 20, (16u << 20) + 12345,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_all_paths(2, 0, sizes[i]);
}

static void fixed_expected(unsigned version, size_t len, uint64_t seed,
			   const char *hex)
{
	struct pd_gen_opts o = opts_for(version, PD_HASH_SHA256, 1);
	uint8_t *data = malloc(len), *got;
	struct pd_ci *ci;
	size_t n;

	fill_pattern(data, len, seed);
	ci = gen_stream(&o, data, len);
	got = encode(ci, &n);
	assert_int_equal(n, strlen(hex) / 2);
	assert_hex_equal(got, hex);
	free(got);
	pd_ci_free(ci);
	free(data);
}

static void v1_fixed_input(void **state)
{
	fixed_expected(1, 100000, 7, v1_expected);
}

static void v2_fixed_input(void **state)
{
	fixed_expected(2, 300000, 11, v2_expected);
}

static void bad_options(void **state)
{
	struct pd_gen_opts o = opts_for(1, 0x1234, 1);

	assert_null(pd_gen_new(&o));
	o.version = 3;
	assert_null(pd_gen_new(&o));
	assert_null(pd_gen_new(NULL));
}

/* Read through mappings, as peerdist hash does: the same output, whichever
 * reader each thread's first units chose (both are used while measuring). */
static void v1_mapped_reads(void **state)
{
	assert_int_equal(pd_mapped_reads_enable(), 0);
	check_all_paths(1, PD_HASH_SHA256, 65537);
	check_all_paths(1, PD_HASH_SHA256, 7 * (size_t)PD_GEN_BATCH_BYTES + 4097);
	check_all_paths(1, PD_HASH_SHA512, 2 * (size_t)PD_SEGMENT_SIZE + 65536 + 7);
}

struct shrink {
	int fd;
	uint64_t at, to;	/* once this much is hashed, cut the file to */
};

static void shrink_file(uint64_t done, uint64_t total, void *arg)
{
	struct shrink *sh = arg;

	if (done == sh->at)
		assert_int_equal(ftruncate(sh->fd, sh->to), 0);
	(void)total;
}

/* A file cut while it is hashed (far back: the mapped pages fault; within
 * its last page: they read as zeros) is an error, never a wrong answer. */
static void shrink_while_hashing(uint64_t at, uint64_t to, size_t len)
{
	struct pd_gen_opts o = opts_for(1, PD_HASH_SHA256, 1);
	char path[] = "/tmp/pd-gen-XXXXXX";
	struct shrink sh = { mkstemp(path), at, to };
	uint8_t *data = malloc(len);
	struct pd_ci *ci = NULL;

	assert_true(sh.fd >= 0);
	unlink(path);
	fill_pattern(data, len, 5);
	assert_int_equal(write(sh.fd, data, len), (ssize_t)len);
	assert_int_equal(pd_gen_fd(sh.fd, &o, shrink_file, &sh, &ci), -EIO);
	assert_null(ci);
	close(sh.fd);
	free(data);
}

static void v1_file_shrinking(void **state)
{
	uint64_t unit = PD_GEN_BATCH_BYTES;
	size_t len = 7 * unit + 100;

	assert_int_equal(pd_mapped_reads_enable(), 0);
	/* after the warm-up unit, and after every unit measured: the next
	 * reads by pread, then by mapping, in turn, then whichever won */
	shrink_while_hashing(unit, unit + 4096, len);
	shrink_while_hashing(2 * unit, 2 * unit, len);
	shrink_while_hashing(5 * unit, 5 * unit + 1, len);
	shrink_while_hashing(6 * unit, len - 50, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_boundaries),
		cmocka_unit_test(v1_sha384_sha512),
		cmocka_unit_test(v2_boundaries),
		cmocka_unit_test(v1_fixed_input),
		cmocka_unit_test(v2_fixed_input),
		cmocka_unit_test(bad_options),
		/* last: mapped reads, once enabled, stay so in the process (each
		 * enables them again: cmocka takes SIGBUS for every test) */
		cmocka_unit_test(v1_mapped_reads),
		cmocka_unit_test(v1_file_shrinking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
