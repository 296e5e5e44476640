/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Content information from a real Windows Server 2012 R2 IIS server for one
 * 99,710-byte file (shared/vectors/pccrc-windows-iis.json), V1 and V2.
 */
#ifndef PD_WINDOWS_VECTORS_H
#define PD_WINDOWS_VECTORS_H

/* The server secret exported from that server. */
#define WINDOWS_PASSPHRASE \
	"2a3d73eb435e9f2b8a344267e7467a3c7385c6e055e2b4d30dfec7c38b0ed72c"

static const char windows_v1_hex[] =
	"00010c80000000000000000000000100000000000000000000007e85010000000100"
	"d8d976354a4872e925761803f458d9daaa67f8e31c630fb74e6a312ef8a25aba11af"
	"c0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e202000000"
	"73c18ab8549110f8e90e71bbc3ab2aa8c44d13f4929499255b660f24ec77800b974b"
	"dd65567fdeeccdafe457a9503b4548f66ed3b188dcfda0ac382b09711acc";

static const char windows_v2_hex[] =
	"0002040000000000000000000000000000000000000000000000000000000000000000"
	"88000099dee0d0c358e2684b62330d32b5f1978724a0d0a52bdc5e781fae71ff57a8be"
	"3dd458037ed404116bb616d9b14116088520c47cdc50abcea3fae188a98ea22df3c000"
	"00eba03381d0d0cb74f4b613d8210f37f002a06f3910586096a130d34398c08e66d7bc"
	"b8b6eb7783e4f807647b63f146b52f4ac89ccc7abf5fa11acafc2acf5028586c";

#endif
