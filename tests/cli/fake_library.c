// SPDX-License-Identifier: GPL-2.0-or-later
/* A library under another's soname with none of its functions: what
 * test_http_libs_on_demand puts first on the search path. */
int pd_fake_library;
