package core

import "testing"

func TestContainerID(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct{ path, want string }{
		{"/system.slice/docker-" + id + ".scope", id},
		{"/docker/" + id, id},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-" + id + ".scope", id},
		{"/kubepods/besteffort/pod1234/" + id, id},
		{"/machine.slice/libpod-" + id + ".scope/container", id},
		{"/system.slice/crio-" + id + ".scope", id},
		{"/system.slice/crio-conmon-" + id + ".scope", ""},
		{"/user.slice/user-1000.slice/session-2.scope", ""},
		{"/", ""},
		{"", ""},
	} {
		if got := ContainerID(c.path); got != c.want {
			t.Errorf("ContainerID(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}
