/** The 21 APEC member economies with their ISO 3166-1 alpha-2 codes. */
export const APEC_ECONOMIES = [
  { iso: "AU", name: "Australia" },
  { iso: "BN", name: "Brunei Darussalam" },
  { iso: "CA", name: "Canada" },
  { iso: "CL", name: "Chile" },
  { iso: "CN", name: "China" },
  { iso: "HK", name: "Hong Kong, China" },
  { iso: "ID", name: "Indonesia" },
  { iso: "JP", name: "Japan" },
  { iso: "KR", name: "Republic of Korea" },
  { iso: "MY", name: "Malaysia" },
  { iso: "MX", name: "Mexico" },
  { iso: "NZ", name: "New Zealand" },
  { iso: "PG", name: "Papua New Guinea" },
  { iso: "PE", name: "Peru" },
  { iso: "PH", name: "The Philippines" },
  { iso: "RU", name: "Russia" },
  { iso: "SG", name: "Singapore" },
  { iso: "TW", name: "Chinese Taipei" },
  { iso: "TH", name: "Thailand" },
  { iso: "US", name: "United States" },
  { iso: "VN", name: "Viet Nam" },
] as const;

/** The demo framework's credential schemas, registered in this order (ids 0..5). */
export const DEMO_SCHEMAS = [
  {
    key: "cbpr",
    vcType: "CBPRCertification",
    name: "APEC CBPR Certification",
    uri: "https://schemas.ccr.example/cbpr.json",
  },
  {
    key: "prp",
    vcType: "PRPCertification",
    name: "APEC PRP Certification",
    uri: "https://schemas.ccr.example/prp.json",
  },
  {
    key: "diploma",
    vcType: "AcademicDiploma",
    name: "Academic Diploma",
    uri: "https://schemas.ccr.example/diploma.json",
  },
  {
    key: "origin",
    vcType: "CertificateOfOrigin",
    name: "Certificate of Origin",
    uri: "https://schemas.ccr.example/origin.json",
  },
  {
    key: "kyc",
    vcType: "KYCAttestation",
    name: "KYC Attestation",
    uri: "https://schemas.ccr.example/kyc.json",
  },
  {
    key: "device",
    vcType: "DeviceIdentity",
    name: "IoT Device Identity",
    uri: "https://schemas.ccr.example/device.json",
  },
] as const;
export type DemoSchemaKey = (typeof DEMO_SCHEMAS)[number]["key"];
