package metrics

import "github.com/prometheus/client_golang/prometheus"

// StorageStats is what Options.Storage reports about the node's store at
// one moment.
type StorageStats struct {
	// StoredBytes is the sum of the sizes of the objects stored (what
	// clients put, not what it takes on the device).
	StoredBytes int64
	// StoredObjects is the number of objects stored.
	StoredObjects int64
	// DeviceTotal is the device's capacity in bytes; DeviceUsed how much
	// of it is allocated (object data, metadata, space not yet cleaned).
	DeviceTotal, DeviceUsed int64
}

// storageCollector exports a StorageStats taken at scrape time.
type storageCollector struct {
	stats                  func() StorageStats
	bytes, objects, device *prometheus.Desc
}

func newStorageCollector(stats func() StorageStats) *storageCollector {
	return &storageCollector{
		stats: stats,
		bytes: prometheus.NewDesc("mapstore_stored_bytes",
			"Sum of the sizes of the objects stored.", nil, nil),
		objects: prometheus.NewDesc("mapstore_stored_objects",
			"Objects stored.", nil, nil),
		device: prometheus.NewDesc("mapstore_device_bytes",
			"Bytes of the storage device: its capacity (kind=\"total\") and what is allocated (kind=\"used\").", []string{"kind"}, nil),
	}
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.bytes
	ch <- c.objects
	ch <- c.device
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.StoredBytes))
	ch <- prometheus.MustNewConstMetric(c.objects, prometheus.GaugeValue, float64(s.StoredObjects))
	ch <- prometheus.MustNewConstMetric(c.device, prometheus.GaugeValue, float64(s.DeviceTotal), "total")
	ch <- prometheus.MustNewConstMetric(c.device, prometheus.GaugeValue, float64(s.DeviceUsed), "used")
}
