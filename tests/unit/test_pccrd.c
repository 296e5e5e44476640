// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WS-Discovery for PeerDist V1 and V2: Probe and ProbeMatches round trips,
 * the literal element names a real client matches, other prefixes and a
 * python-peerdist style AppSequence accepted, and hostile XML (DTDs,
 * entities, depth, size, bad scopes, mismatched BlockCount) refused. V2:
 * the examples of MS-PCCRD section 4 read and written, strict base64, and
 * blobs whose counts and sizes disagree refused.
 */
#include "testutil.h"

#include "pccrd.h"

static struct pd_pccrd_msg m, back;
static char xml[PD_PCCRD_MAX_MESSAGE + 2];

static void fill_scopes(unsigned n)
{
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.nscopes = n;
	for (i = 0; i < n; i++) {
		m.scopes[i].len = 32;
		fill_pattern(m.scopes[i].id, 32, i + 1);
		m.block_counts[i] = i == 0 ? 42 : 512 - i;
	}
	strcpy(m.message_id, "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
}

static void probe_round_trip(void **state)
{
	long n;
	unsigned i;

	fill_scopes(3);
	n = pd_pccrd_write_probe(&m, xml, sizeof(xml));
	assert_true(n > 0);
	assert_non_null(strstr(xml, "MatchBy=\"http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0\""));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE);
	assert_string_equal(back.message_id, m.message_id);
	assert_int_equal(back.nscopes, 3);
	for (i = 0; i < 3; i++)
		assert_memory_equal(back.scopes[i].id, m.scopes[i].id, 32);
}

static void probe_matches_round_trip(void **state)
{
	long n;

	fill_scopes(2);
	strcpy(m.relates_to, "urn:uuid:11111111-2222-3333-4444-555555555555");
	strcpy(m.address, "urn:uuid:66666666-7777-8888-9999-000000000000");
	m.nxaddrs = 2;
	strcpy(m.xaddrs[0], "192.0.2.7:3703");
	strcpy(m.xaddrs[1], "[2001:db8::7]:3703");
	m.instance_id = 1732000000;
	m.message_number = 9;
	n = pd_pccrd_write_probe_matches(&m, xml, sizeof(xml));
	assert_true(n > 0);
	/* A real client matches these literally. */
	assert_non_null(strstr(xml, "<wsd:Scopes>"));
	assert_non_null(strstr(xml, "<wsd:XAddrs>192.0.2.7:3703 [2001:db8::7]:3703</wsd:XAddrs>"));
	assert_non_null(strstr(xml, "<PeerDist:BlockCount>0000002A000001FF</PeerDist:BlockCount>"));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE_MATCHES);
	assert_string_equal(back.relates_to, m.relates_to);
	assert_string_equal(back.address, m.address);
	assert_int_equal(back.nscopes, 2);
	assert_int_equal(back.block_counts[0], 42);
	assert_int_equal(back.block_counts[1], 511);
	assert_int_equal(back.nxaddrs, 2);
	assert_string_equal(back.xaddrs[1], "[2001:db8::7]:3703");
	assert_int_equal(back.instance_id, 1732000000);
	assert_int_equal(back.message_number, 9);
}

/* Other prefixes, default namespaces, AppSequence in the addressing
 * namespace and self-closing: all the same message. */
static void lenient_parsing(void **state)
{
	static const char other[] =
		"<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'"
		" xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing'"
		" xmlns:d='http://schemas.xmlsoap.org/ws/2005/04/discovery'>"
		"<e:Header><a:MessageID> urn:uuid:x </a:MessageID>"
		"<a:RelatesTo>urn:uuid:y</a:RelatesTo>"
		"<a:AppSequence InstanceId='5' MessageNumber='6'/></e:Header>"
		"<e:Body><d:ProbeMatches><d:ProbeMatch>"
		"<d:Types xmlns:p='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'>p:PeerDistData</d:Types>"
		"<d:Scopes>\n 491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9 \n</d:Scopes>"
		"<d:XAddrs>10.0.0.1:80</d:XAddrs>"
		"<BlockCount xmlns='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'>00000002</BlockCount>"
		"</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>";

	assert_int_equal(pd_pccrd_parse(other, strlen(other), &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE_MATCHES);
	assert_string_equal(back.message_id, "urn:uuid:x");
	assert_int_equal(back.instance_id, 5);
	assert_int_equal(back.nscopes, 1);
	assert_int_equal(back.scopes[0].id[0], 0x49);
	assert_int_equal(back.block_counts[0], 2);
}

static int parse_text(const char *s)
{
	return pd_pccrd_parse(s, strlen(s), &back);
}

#define HEAD "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' " \
	"xmlns:d='http://schemas.xmlsoap.org/ws/2005/04/discovery' " \
	"xmlns:P='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'><s:Body>"
#define TAIL "</s:Body></s:Envelope>"
#define ID64 "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9"

static void hostile_xml(void **state)
{
	char *deep;
	int i;

	assert_int_equal(parse_text("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"),
			 -PD_RD_E_DTD);
	assert_int_equal(parse_text("<?xml version='1.0'?><!DOCTYPE s:Envelope SYSTEM 'http://x/'>"
				    HEAD TAIL), -PD_RD_E_DTD);
	assert_int_equal(parse_text(HEAD "<d:Probe>" TAIL), -PD_RD_E_XML);
	assert_int_equal(parse_text(HEAD TAIL), -PD_RD_E_KIND);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:Other</d:Types><d:Scopes>" ID64
				    "</d:Scopes></d:Probe>" TAIL), -PD_RD_E_NOT_PEERDIST);
	/* The prefix must resolve: an unbound one is not PeerDist. */
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>Q:PeerDistData</d:Types></d:Probe>" TAIL),
			 -PD_RD_E_NOT_PEERDIST);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:PeerDistData</d:Types><d:Scopes>XYZ"
				    "</d:Scopes></d:Probe>" TAIL), -PD_RD_E_SCOPE);
	assert_int_equal(parse_text(HEAD "<d:ProbeMatches><d:Types>P:PeerDistData</d:Types>"
				    "<d:Scopes>" ID64 "</d:Scopes><P:BlockCount>0000000100000002"
				    "</P:BlockCount></d:ProbeMatches>" TAIL), -PD_RD_E_BLOCK_COUNT);
	assert_int_equal(parse_text(HEAD "<d:ProbeMatches><d:Types>P:PeerDistData</d:Types>"
				    "<d:Scopes>" ID64 "</d:Scopes><P:BlockCount>00000G01"
				    "</P:BlockCount></d:ProbeMatches>" TAIL), -PD_RD_E_BLOCK_COUNT);
	deep = malloc(64 * 7 + 1);
	deep[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(deep, "<a>");
	assert_int_equal(parse_text(deep), -PD_RD_E_LIMIT);
	free(deep);
	memset(xml, ' ', sizeof(xml));
	assert_int_equal(pd_pccrd_parse(xml, PD_PCCRD_MAX_MESSAGE + 1, &back), -PD_RD_E_LIMIT);
	assert_string_equal(pd_pccrd_strerror(-PD_RD_E_DTD),
			    "document type or entity declarations are refused");
}

static void writer_refuses_bad_input(void **state)
{
	fill_scopes(1);
	assert_int_equal(pd_pccrd_write_probe(&m, xml, 100), -PD_RD_E_BUFFER);
	strcpy(m.message_id, "<injected/>");
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	fill_scopes(1);
	m.nxaddrs = 1;
	strcpy(m.xaddrs[0], "a b");
	assert_int_equal(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	m.nscopes = 0;
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
}

/* V1 output, byte for byte as before V2 (the fuzz seeds are these). */
static void v1_output_unchanged(void **state)
{
	static const char probe[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" xmlns:PeerDist=\"http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery\">"
		"<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action><wsa:MessageID>urn:uuid:a</wsa:MessageID></soap:Header>"
		"<soap:Body><wsd:Probe><wsd:Types>PeerDist:PeerDistData</wsd:Types><wsd:Scopes MatchBy=\"http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0\">"
		"0101010101010101010101010101010101010101010101010101010101010101 0202020202020202020202020202020202020202020202020202020202020202"
		"</wsd:Scopes></wsd:Probe></soap:Body></soap:Envelope>";
	static const char tail[] =
		"<wsd:Types>PeerDist:PeerDistData</wsd:Types><wsd:Scopes>"
		"0101010101010101010101010101010101010101010101010101010101010101 0202020202020202020202020202020202020202020202020202020202020202"
		"</wsd:Scopes><wsd:XAddrs>127.0.0.1:3703</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion>"
		"<PeerDist:PeerDistData><PeerDist:BlockCount>0000000700000008</PeerDist:BlockCount></PeerDist:PeerDistData>"
		"</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>";
	long n;

	memset(&m, 0, sizeof(m));
	m.nscopes = 2;
	m.scopes[0].len = m.scopes[1].len = 32;
	memset(m.scopes[0].id, 1, 32);
	memset(m.scopes[1].id, 2, 32);
	m.block_counts[0] = 7;
	m.block_counts[1] = 8;
	strcpy(m.message_id, "urn:uuid:a");
	strcpy(m.relates_to, "urn:uuid:b");
	strcpy(m.address, "urn:uuid:c");
	m.nxaddrs = 1;
	strcpy(m.xaddrs[0], "127.0.0.1:3703");
	n = pd_pccrd_write_probe(&m, xml, sizeof(xml));
	assert_int_equal(n, strlen(probe));
	assert_string_equal(xml, probe);
	m.version = 1;	/* the same as 0 */
	n = pd_pccrd_write_probe_matches(&m, xml, sizeof(xml));
	assert_true(n > (long)strlen(tail));
	assert_string_equal(xml + n - strlen(tail), tail);
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.version, 1);
	assert_int_equal(back.segment_age[0], PD_PCCRD_NO_AGE);
}

/* ---- version 2 ---- */

#define HEAD2 "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' " \
	"xmlns:d='http://schemas.xmlsoap.org/ws/2005/04/discovery'><s:Body>"
#define TYPES2 "<d:Types xmlns:pd='http://schemas.microsoft.com/p2p/2007/09/" \
	"PeerDistributionDiscovery'>pd:PeerDistDataV2</d:Types>"
#define ANY2 "<PeerDistData xmlns='http://schemas.microsoft.com/p2p/2007/09/" \
	"PeerDistributionDiscovery'><SegmentAges>%s</SegmentAges></PeerDistData>"

static void b64(const uint8_t *p, size_t n, char *out)
{
	static const char d[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3, out += 4) {
		uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		out[0] = d[v >> 18];
		out[1] = d[v >> 12 & 63];
		out[2] = i + 1 < n ? d[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? d[v & 63] : '=';
	}
	*out = '\0';
}

static int parse_v2_probe(const char *scopes)
{
	snprintf(xml, sizeof(xml), HEAD2 "<d:Probe>" TYPES2 "<d:Scopes>%s</d:Scopes>"
		 "</d:Probe>" TAIL, scopes);
	return parse_text(xml);
}

static int parse_v2_match(const char *bitmap, const char *ages)
{
	char any[4096] = "";

	if (ages)
		snprintf(any, sizeof(any), ANY2, ages);
	snprintf(xml, sizeof(xml), HEAD2 "<d:ProbeMatches><d:ProbeMatch>" TYPES2
		 "<d:Scopes>%s</d:Scopes><d:XAddrs>10.0.0.1:80</d:XAddrs>%s"
		 "</d:ProbeMatch></d:ProbeMatches>" TAIL, bitmap, any);
	return parse_text(xml);
}

/* Scope blob: SegmentHashSize (big-endian), count, then len bytes of ids. */
static int parse_v2_blob(unsigned size, unsigned count, size_t len)
{
	static uint8_t blob[3 + 255 * 64 + 8];
	static char text[sizeof(blob) * 4 / 3 + 8];

	blob[0] = size >> 8;
	blob[1] = size;
	blob[2] = count;
	fill_pattern(blob + 3, len, 7);
	b64(blob, 3 + len, text);
	return parse_v2_probe(text);
}

static void v2_probe_round_trip(void **state)
{
	long n;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.version = 2;
	m.nscopes = 3;
	for (i = 0; i < 3; i++) {
		m.scopes[i].len = 48;
		fill_pattern(m.scopes[i].id, 48, i + 1);
	}
	strcpy(m.message_id, "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	n = pd_pccrd_write_probe(&m, xml, sizeof(xml));
	assert_true(n > 0);
	assert_non_null(strstr(xml, "<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>"));
	/* 00 30 03: 48-byte hashes, three of them */
	assert_non_null(strstr(xml, "<wsd:Scopes MatchBy=\"http://schemas.microsoft.com/"
			       "p2p/2010/05/PeerDistV2MatchingRule\">ADAD"));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.nscopes, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(back.scopes[i].len, 48);
		assert_memory_equal(back.scopes[i].id, m.scopes[i].id, 48);
	}
	/* a full Probe still fits a datagram */
	m.nscopes = PD_PCCRD_MAX_SCOPES;
	for (i = 0; i < m.nscopes; i++)
		m.scopes[i].len = 64;
	n = pd_pccrd_write_probe(&m, xml, sizeof(xml));
	assert_true(n > 0 && n <= PD_PCCRD_MAX_MESSAGE);
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.nscopes, PD_PCCRD_MAX_SCOPES);
}

/* MS-PCCRD 4.2, with other prefixes and the whitespace of its layout. */
static void v2_spec_probe(void **state)
{
	assert_int_equal(parse_v2_probe("\n ACACI74aAQAAAAAwHRoBAAAAAEEAQQBEAHkAZwBNAE0AMQAj"
					"vhoBAAAAADAdGgEAAAAAQQBBAEQAeQBnAE0ATQAxAA==\n"), 0);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.nscopes, 2);
	assert_int_equal(back.scopes[1].len, 32);
	assert_hex_equal(back.scopes[0].id, "23BE1A0100000000301D1A0100000000"
					    "410041004400790067004D004D003100");
	assert_memory_equal(back.scopes[0].id, back.scopes[1].id, 32);
}

static void v2_probe_matches_round_trip(void **state)
{
	static const uint8_t has[6] = { 1, 1, 0, 1, 0, 1 }, all[6] = { 1, 0, 0, 1, 1, 0 };
	long n;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.version = 2;
	m.nscopes = 6;
	for (i = 0; i < 6; i++) {
		m.have_segment[i] = has[i];
		m.have_all_blocks[i] = all[i];
		m.segment_age[i] = has[i] ? 100 * i + 1 : PD_PCCRD_NO_AGE;
	}
	strcpy(m.message_id, "urn:uuid:m");
	strcpy(m.relates_to, "urn:uuid:r");
	strcpy(m.address, "urn:uuid:a");
	m.nxaddrs = 1;
	strcpy(m.xaddrs[0], "192.0.2.7:3703");
	m.instance_id = 3;
	m.message_number = 4;
	n = pd_pccrd_write_probe_matches(&m, xml, sizeof(xml));
	assert_true(n > 0);
	/* 11 10 00 11, 01 10 (00 00): three base64 quads' worth, padded */
	assert_non_null(strstr(xml, "<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>"
			       "<wsd:Scopes>42A=</wsd:Scopes>"));
	assert_non_null(strstr(xml, "<wsd:MetadataVersion>2</wsd:MetadataVersion>"
			       "<PeerDist:PeerDistData><PeerDist:SegmentAges>"));
	assert_null(strstr(xml, "BlockCount"));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE_MATCHES);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.nscopes, 8);	/* the bitmap's padding too */
	for (i = 0; i < 8; i++) {
		assert_int_equal(back.have_segment[i], i < 6 ? has[i] : 0);
		assert_int_equal(back.have_all_blocks[i], i < 6 ? all[i] : 0);
		assert_int_equal(back.segment_age[i], i < 6 ? m.segment_age[i] : PD_PCCRD_NO_AGE);
	}
	assert_int_equal(back.instance_id, 3);
	assert_string_equal(back.xaddrs[0], "192.0.2.7:3703");
}

/* MS-PCCRD 4.4: 40 whole segments, ages (600 s in hundredths) for the
 * first and third; and the writer spells both blobs as Windows does. */
static void v2_spec_probe_match(void **state)
{
	unsigned i;
	long n;

	assert_int_equal(parse_v2_match(" /////////////w== ", " AAEDAgBg6gACYOoA "), 0);
	assert_int_equal(back.nscopes, 40);
	for (i = 0; i < 40; i++)
		assert_true(back.have_segment[i] && back.have_all_blocks[i]);
	assert_int_equal(back.segment_age[0], 60000);
	assert_int_equal(back.segment_age[1], PD_PCCRD_NO_AGE);
	assert_int_equal(back.segment_age[2], 60000);
	strcpy(back.message_id, "urn:uuid:m");
	strcpy(back.relates_to, "urn:uuid:r");
	strcpy(back.address, "urn:uuid:a");
	n = pd_pccrd_write_probe_matches(&back, xml, sizeof(xml));
	assert_true(n > 0);
	assert_non_null(strstr(xml, "<wsd:Scopes>/////////////w==</wsd:Scopes>"));
	assert_non_null(strstr(xml, "<PeerDist:SegmentAges>AAEDAgBg6gACYOoA</"));
	/* no SegmentAges at all: no ages */
	assert_int_equal(parse_v2_match("wA==", NULL), 0);
	assert_int_equal(back.nscopes, 4);
	assert_int_equal(back.have_segment[0], 1);
	assert_int_equal(back.have_segment[1], 0);
	assert_int_equal(back.segment_age[0], PD_PCCRD_NO_AGE);
}

/* Every MS-PCCRR unit reads as hundredths; the writer picks a unit that
 * holds the oldest age. */
static void v2_age_units(void **state)
{
	/* 00 01, unit, 01, index 0, age 0x000102 = 258 */
	assert_int_equal(parse_v2_match("wA==", "AAEBAQACAQA="), 0);
	assert_int_equal(back.segment_age[0], 25800);
	assert_int_equal(parse_v2_match("wA==", "AAECAQACAQA="), 0);
	assert_int_equal(back.segment_age[0], 2580);
	assert_int_equal(parse_v2_match("wA==", "AAEDAQACAQA="), 0);
	assert_int_equal(back.segment_age[0], 258);
	assert_int_equal(parse_v2_match("wA==", "AAEEAQACAQA="), 0);
	assert_int_equal(back.segment_age[0], 25);
	assert_int_equal(parse_v2_match("wA==", "AAEFAQACAQA="), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAEAAQACAQA="), -PD_RD_E_SEGMENT_AGES);

	memset(&m, 0, sizeof(m));
	m.version = 2;
	m.nscopes = 2;
	m.have_segment[0] = m.have_segment[1] = 1;
	m.segment_age[0] = 0x1000000 * 5;	/* too old for hundredths: tenths */
	m.segment_age[1] = 30;
	strcpy(m.xaddrs[0], "h:1");
	m.nxaddrs = 1;
	assert_true(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)) > 0);
	assert_int_equal(parse_text(xml), 0);
	assert_int_equal(back.segment_age[0], 0x1000000 * 5);
	assert_int_equal(back.segment_age[1], 30);
	m.segment_age[0] = 0xffffff * 100u + 99;	/* seconds, rounded down */
	assert_true(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)) > 0);
	assert_int_equal(parse_text(xml), 0);
	assert_int_equal(back.segment_age[0], 0xffffff * 100u);
	assert_int_equal(back.segment_age[1], 0);
	m.segment_age[0] = PD_PCCRD_NO_AGE - 1;		/* clamped */
	assert_true(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)) > 0);
	assert_int_equal(parse_text(xml), 0);
	assert_int_equal(back.segment_age[0], 0xffffff * 100u);
}

static void v2_bad_base64(void **state)
{
	static const char *const bad[] = {
		"ACAB!QEa", "ACABKQE", "ACA=KQEa", "AC=BKQEa", "A===", "ACB=",
		"ACABKQ=a", "ACABKQ-_",
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_v2_probe(bad[i]), -PD_RD_E_BASE64);
	/* "ACA=" is 00 20, but "ACB=" leaves a bit set past the last byte */
	assert_int_equal(parse_v2_match("wB==", NULL), -PD_RD_E_BASE64);
	assert_int_equal(parse_v2_match("wA==", "AAEDAQACAQA"), -PD_RD_E_BASE64);
	/* one scope string: two tokens, or none, are malformed */
	assert_int_equal(parse_v2_probe("ACAB ACAB"), -PD_RD_E_SCOPE);
	assert_int_equal(parse_v2_probe("  "), -PD_RD_E_SCOPE);
	assert_int_equal(parse_v2_match("", NULL), -PD_RD_E_SCOPE);
	assert_int_equal(parse_v2_match("wA==", "AAED AQACAQA="), -PD_RD_E_SEGMENT_AGES);
}

static void v2_bad_blobs(void **state)
{
	assert_int_equal(parse_v2_blob(32, 2, 64), 0);
	assert_int_equal(back.nscopes, 2);
	assert_int_equal(parse_v2_blob(32, 2, 32), -PD_RD_E_SCOPE);	/* count > ids */
	assert_int_equal(parse_v2_blob(32, 1, 64), -PD_RD_E_SCOPE);	/* ids > count */
	assert_int_equal(parse_v2_blob(32, 2, 65), -PD_RD_E_SCOPE);	/* a byte more */
	assert_int_equal(parse_v2_blob(48, 2, 64), -PD_RD_E_SCOPE);	/* wrong size */
	assert_int_equal(parse_v2_blob(33, 2, 66), -PD_RD_E_SCOPE);	/* no such hash */
	assert_int_equal(parse_v2_blob(0x2000, 1, 32), -PD_RD_E_SCOPE);	/* little-endian 32 */
	assert_int_equal(parse_v2_blob(32, 0, 0), -PD_RD_E_SCOPE);
	assert_int_equal(parse_v2_probe("ACA="), -PD_RD_E_SCOPE);	/* no count */
	assert_int_equal(parse_v2_blob(32, PD_PCCRD_MAX_SCOPES, 32 * PD_PCCRD_MAX_SCOPES), 0);
	assert_int_equal(parse_v2_blob(32, PD_PCCRD_MAX_SCOPES + 1,
				       32 * (PD_PCCRD_MAX_SCOPES + 1)), -PD_RD_E_LIMIT);
	assert_int_equal(parse_v2_blob(64, 255, 64 * 255), -PD_RD_E_LIMIT);
	/* ages: short, wrong version, count past the end, index past the
	 * bitmap, an index twice */
	assert_int_equal(parse_v2_match("wA==", "AAED"), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAIDAA=="), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAEDAgACAQA="), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAEDAQQCAQA="), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAEDAgMCAQADAgEA"), -PD_RD_E_SEGMENT_AGES);
	assert_int_equal(parse_v2_match("wA==", "AAEDAQMCAQA="), 0);
	assert_int_equal(back.segment_age[3], 258);
	/* bitmap for more than PD_PCCRD_MAX_SCOPES */
	assert_int_equal(parse_v2_match("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL),
			 -PD_RD_E_LIMIT);
}

/* Types decides; V2 scopes must come after it, and both types read as V1. */
static void v2_types_and_order(void **state)
{
	snprintf(xml, sizeof(xml), HEAD2 "<d:Probe><d:Scopes>ACABKQEa</d:Scopes>" TYPES2
		 "</d:Probe>" TAIL);
	assert_int_equal(parse_text(xml), -PD_RD_E_SCOPE);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:PeerDistData P:PeerDistDataV2"
				    "</d:Types><d:Scopes>" ID64 "</d:Scopes></d:Probe>" TAIL), 0);
	assert_int_equal(back.version, 1);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:PeerDistDataV3</d:Types>"
				    "</d:Probe>" TAIL), -PD_RD_E_NOT_PEERDIST);
	/* a V1 reader never looked at SegmentAges: garbage there is still fine */
	assert_int_equal(parse_text(HEAD "<d:ProbeMatches><d:Types>P:PeerDistData</d:Types>"
				    "<d:Scopes>" ID64 "</d:Scopes><P:BlockCount>00000001"
				    "</P:BlockCount><P:SegmentAges>!</P:SegmentAges>"
				    "</d:ProbeMatches>" TAIL), 0);
}

static void v2_writer_refuses_bad_input(void **state)
{
	fill_scopes(2);
	m.version = 2;
	m.scopes[1].len = 48;
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	m.scopes[0].len = m.scopes[1].len = 40;
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	m.scopes[0].len = m.scopes[1].len = 64;
	assert_true(pd_pccrd_write_probe(&m, xml, sizeof(xml)) > 0);
	assert_int_equal(pd_pccrd_write_probe(&m, xml, 300), -PD_RD_E_BUFFER);
	m.version = 3;
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	m.nxaddrs = 1;
	strcpy(m.xaddrs[0], "h:1");
	assert_int_equal(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	assert_string_equal(pd_pccrd_strerror(-PD_RD_E_BASE64), "not strict base64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_round_trip),
		cmocka_unit_test(probe_matches_round_trip),
		cmocka_unit_test(lenient_parsing),
		cmocka_unit_test(hostile_xml),
		cmocka_unit_test(writer_refuses_bad_input),
		cmocka_unit_test(v1_output_unchanged),
		cmocka_unit_test(v2_probe_round_trip),
		cmocka_unit_test(v2_spec_probe),
		cmocka_unit_test(v2_probe_matches_round_trip),
		cmocka_unit_test(v2_spec_probe_match),
		cmocka_unit_test(v2_age_units),
		cmocka_unit_test(v2_bad_base64),
		cmocka_unit_test(v2_bad_blobs),
		cmocka_unit_test(v2_types_and_order),
		cmocka_unit_test(v2_writer_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
