package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// Azurite's documented development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azureBucket starts Azurite's blob service (azurite-blob on PATH) on a
// free loopback port with a container "bkt"; without Azurite the test
// is skipped with a message.
func azureBucket(t *testing.T) *bucket {
	isolateCloudEnv(t)
	bin, err := exec.LookPath("azurite-blob")
	if err != nil {
		t.Skip("Azure tests need Azurite: npm install -g azurite (azurite-blob on PATH)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--silent", "--skipApiVersionCheck", "--inMemoryPersistence")
	var stderr strings.Builder
	c.Stderr = &stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Skipf("Azure tests need Azurite, which did not start: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = c.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(2 * time.Minute); ; {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("Azurite exited: %v: %s", waitErr, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Azurite did not listen on %s within two minutes", addr)
		}
	}
	// As the Azure CLI finds a key: from the environment.
	t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential("http://"+addr+"/"+azuriteAccount+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(t.Context(), "bkt", nil); err != nil {
		t.Fatal(err)
	}
	return &bucket{name: "azure", url: func(key string) string {
		return "az://bkt/" + key + "?storage_account=" + azuriteAccount + "&domain=" + addr + "&protocol=http&localemu=true"
	}}
}
