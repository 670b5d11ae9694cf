/* stub: to be implemented */
typedef int pl_stub_dns;
