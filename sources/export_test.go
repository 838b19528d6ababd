package sources

// FooterMemory checks the thrift-encoded FileMetaData footer and returns
// the memory its decoding is estimated to take.
func FooterMemory(footer []byte) (int64, error) {
	info, err := checkFooter(footer)
	return info.memory, err
}
