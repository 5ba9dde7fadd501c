// nettest is the one program of the image the real-node tests run:
//
//	nettest serve [PORT]        HTTP server (default 8080): answers "hello from <hostname>", logs each request
//	nettest get URL             prints the body of a GET (exit 1 on failure)
//	nettest resolve NAME        prints the addresses NAME resolves to (through the pod's /etc/resolv.conf)
//	nettest lookup SERVER NAME  asks the DNS server SERVER (host:port) for NAME's addresses, prints them
//	nettest connect HOST:PORT   opens a TCP connection (3 s timeout), prints "connected" (exit 1 on failure)
//	nettest whoami              asks the API server in-cluster (kubernetes.default.svc, the pod's ServiceAccount
//	                            token, TLS verified against the pod's CA bundle) who it is; prints the username
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: nettest serve [PORT] | get URL | resolve NAME | lookup SERVER NAME | connect HOST:PORT | whoami")
	}
	arg := func(i int, what string) string {
		if len(os.Args) <= i {
			fail("nettest " + os.Args[1] + ": missing " + what)
		}
		return os.Args[i]
	}
	switch os.Args[1] {
	case "serve":
		port := "8080"
		if len(os.Args) > 2 {
			port = os.Args[2]
		}
		serve(port)
	case "get":
		get(arg(2, "URL"))
	case "resolve":
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, arg(2, "NAME"))
		if err != nil {
			fail(err.Error())
		}
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "lookup":
		server := arg(2, "SERVER")
		resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, server)
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		addrs, err := resolver.LookupHost(ctx, arg(3, "NAME"))
		if err != nil {
			fail(err.Error())
		}
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "connect":
		conn, err := net.DialTimeout("tcp", arg(2, "HOST:PORT"), 3*time.Second)
		if err != nil {
			fail(err.Error())
		}
		conn.Close()
		fmt.Println("connected")
	case "whoami":
		whoami()
	default:
		fail("nettest: unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

func serve(port string) {
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("request %s %s from %s\n", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "hello from %s\n", host)
	})
	fmt.Printf("nettest listening on :%s\n", port)
	fail(http.ListenAndServe(":"+port, nil).Error())
}

func get(url string) {
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		fail(err.Error())
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	os.Stdout.Write(body)
	if res.StatusCode != 200 {
		fail(fmt.Sprintf("GET %s: %s", url, res.Status))
	}
}

func whoami() {
	const dir = "/var/run/secrets/kubernetes.io/serviceaccount/"
	token, err := os.ReadFile(dir + "token")
	if err != nil {
		fail(err.Error())
	}
	caPEM, err := os.ReadFile(dir + "ca.crt")
	if err != nil {
		fail(err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		fail("no certificate in " + dir + "ca.crt")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	review := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, _ := http.NewRequest("POST", "https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(review))
	req.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		fail(err.Error())
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 && res.StatusCode != 200 {
		fail(fmt.Sprintf("%s: %s", res.Status, body))
	}
	var out struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		fail(err.Error())
	}
	fmt.Println(out.Status.UserInfo.Username)
}
