import COpenSSL
import Glibc

/// An X.509 certificate, read as CPython's `_decode_certificate` reads it
/// for `getpeercert()`.
public final class Certificate {
    private let x509: OpaquePointer

    init(owning x509: OpaquePointer) { self.x509 = x509 }

    deinit { X509_free(x509) }

    /// A distinguished name as Python gives it: relative names in order,
    /// each a list of (long attribute name, value), a multi-valued one
    /// holding several.
    public typealias Name = [[(String, String)]]

    public var subject: Name { Certificate.decode(X509_get_subject_name(x509)) }
    public var issuer: Name { Certificate.decode(X509_get_issuer_name(x509)) }
    /// `version`: 1-based, as Python shows it (3 for X.509v3).
    public var version: Int { Int(X509_get_version(x509)) + 1 }

    /// `serialNumber`: upper-case hex, as i2a_ASN1_INTEGER writes it.
    public var serialNumber: String {
        guard let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { CRYPTO_free(hex, #file, #line) }
        return String(cString: hex)
    }

    /// `notBefore` and `notAfter`: `Dec  7 01:20:17 2026 GMT`, as ASN1_TIME_print writes them.
    public var notBefore: String { Certificate.printed(X509_get0_notBefore(x509)) }
    public var notAfter: String { Certificate.printed(X509_get0_notAfter(x509)) }

    /// One entry of `subjectAltName`: a (kind, text) pair, or ('DirName',
    /// a distinguished name as `subject` is one).
    public enum AlternativeName {
        case text(String, String)
        case directory(Name)
    }

    /// `subjectAltName`: ('DNS', name), ('IP Address', address), ..., each
    /// kind as CPython's `_get_peer_alt_names` renders it: the strings as
    /// they are, a Registered ID as i2t_ASN1_OBJECT names it, and the kinds
    /// it has no rendering of (othername, X400, EDI party) as
    /// GENERAL_NAME_print prints them, cut at the first colon.
    public var subjectAltNames: [AlternativeName] {
        guard let names = sockshell_subject_alt_names(x509) else { return [] }
        defer { sockshell_general_names_free(names) }
        var result: [AlternativeName] = []
        for index in 0..<sockshell_general_names_count(names) {
            guard let name = sockshell_general_name(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS: result.append(.text("DNS", Certificate.text(name.pointee.d.dNSName)))
            case GEN_EMAIL: result.append(.text("email", Certificate.text(name.pointee.d.rfc822Name)))
            case GEN_URI: result.append(.text("URI", Certificate.text(name.pointee.d.uniformResourceIdentifier)))
            case GEN_DIRNAME: result.append(.directory(Certificate.decode(name.pointee.d.directoryName)))
            case GEN_RID:
                var buffer = [CChar](repeating: 0, count: 2048)
                let length = i2t_ASN1_OBJECT(&buffer, Int32(buffer.count - 1), name.pointee.d.registeredID)
                result.append(.text("Registered ID", length >= 0 && Int(length) < buffer.count ? String(cString: buffer) : "<INVALID>"))
            case GEN_IPADD:
                let octets = Certificate.bytes(name.pointee.d.iPAddress)
                if octets.count == 4 {
                    result.append(.text("IP Address", octets.map(String.init).joined(separator: ".")))
                } else if octets.count == 16 {
                    let groups = stride(from: 0, to: 16, by: 2).map { String(Int(octets[$0]) << 8 | Int(octets[$0 + 1]), radix: 16, uppercase: true) }
                    result.append(.text("IP Address", groups.joined(separator: ":")))
                } else {
                    result.append(.text("IP Address", "<invalid>"))
                }
            default:
                let printed = Certificate.printed(name)
                if let colon = printed.firstIndex(of: ":") {
                    result.append(.text(String(printed[..<colon]), String(printed[printed.index(after: colon)...])))
                }
            }
        }
        return result
    }

    /// `OCSP`, `caIssuers`: the Authority Information Access URIs of each method.
    public var ocspURIs: [String] { uris(sockshell_NID_ad_OCSP()) }
    public var caIssuerURIs: [String] { uris(sockshell_NID_ad_ca_issuers()) }
    /// `crlDistributionPoints`: each full-name URI of the CRL distribution points.
    public var crlDistributionPoints: [String] { uris(0) }

    private func uris(_ method: Int32) -> [String] {
        guard let joined = sockshell_certificate_uris(x509, method) else { return [] }
        defer { free(joined) }
        return String(cString: joined).split(separator: "\n").map(String.init)
    }

    private static func decode(_ name: OpaquePointer?) -> Name {
        guard let name else { return [] }
        var result: Name = []
        var lastSet: Int32 = -1
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index) else { continue }
            let object = X509_NAME_ENTRY_get_object(entry)
            let nid = OBJ_obj2nid(object)
            var attribute = ""
            if nid != NID_undef, let long = OBJ_nid2ln(nid) {
                attribute = String(cString: long)
            } else {
                var buffer = [CChar](repeating: 0, count: 128)
                _ = OBJ_obj2txt(&buffer, 128, object, 1)
                attribute = String(cString: buffer)
            }
            let value = text(X509_NAME_ENTRY_get_data(entry))
            let set = X509_NAME_ENTRY_set(entry)
            if set == lastSet, !result.isEmpty {
                result[result.count - 1].append((attribute, value))
            } else {
                result.append([(attribute, value)])
            }
            lastSet = set
        }
        return result
    }

    private static func text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        guard let string else { return "" }
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, string)
        guard length >= 0, let out else { return "" }
        defer { CRYPTO_free(out, #file, #line) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    private static func bytes(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    /// A general name as GENERAL_NAME_print writes it, its first line (BIO_gets).
    private static func printed(_ name: UnsafeMutablePointer<GENERAL_NAME>) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        _ = GENERAL_NAME_print(bio, name)
        var buffer = [CChar](repeating: 0, count: 2048)
        let count = BIO_gets(bio, &buffer, Int32(buffer.count - 1))
        return count > 0 ? String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    private static func printed(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        guard let time, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        _ = ASN1_TIME_print(bio, time)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = BIO_read(bio, &buffer, 64)
        return count > 0 ? String(decoding: buffer[0..<Int(count)], as: UTF8.self) : ""
    }

    /// A self-signed certificate for `host` and its RSA 2048 key, as PEM,
    /// as `openssl req -x509 -newkey rsa:2048 -nodes` with a subjectAltName
    /// would make them: valid from an hour ago for `days` days (a negative
    /// `days` makes one that expired that many days ago).
    public static func makeSelfSigned(host: String, days: Int) throws -> (certificate: [UInt8], key: [UInt8]) {
        ERR_clear_error()
        guard let keyContext = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw contextError() }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(keyContext, 2048) == 1,
              EVP_PKEY_keygen(keyContext, &key) == 1, let key else { throw contextError() }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw contextError() }
        defer { X509_free(certificate) }
        _ = X509_set_version(certificate, 2)
        // A random 159-bit serial, as openssl req gives.
        let serial = BN_new()
        defer { BN_free(serial) }
        _ = BN_rand(serial, 159, -1, 0)
        _ = BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate))
        let day = 86_400
        if days >= 0 {
            _ = X509_gmtime_adj(X509_getm_notBefore(certificate), -3600)
            _ = X509_gmtime_adj(X509_getm_notAfter(certificate), days * day)
        } else {
            _ = X509_gmtime_adj(X509_getm_notBefore(certificate), (days - 30) * day)
            _ = X509_gmtime_adj(X509_getm_notAfter(certificate), days * day)
        }
        _ = X509_set_pubkey(certificate, key)
        let name = X509_get_subject_name(certificate)
        _ = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, host, -1, -1, 0)
        _ = X509_set_issuer_name(certificate, name)
        var alternatives: [String]
        let isAddress = host.withCString { a2i_IPADDRESS($0) }
        if let isAddress { ASN1_OCTET_STRING_free(isAddress); alternatives = ["IP:" + host] } else { ERR_clear_error(); alternatives = ["DNS:" + host] }
        if host == "localhost" { alternatives += ["IP:127.0.0.1", "IP:::1"] }
        var extensionContext = X509V3_CTX()
        X509V3_set_ctx(&extensionContext, certificate, certificate, nil, nil, 0)
        for (nid, value) in [(NID_basic_constraints, "critical,CA:TRUE"), (NID_subject_key_identifier, "hash"),
                             (NID_authority_key_identifier, "keyid:always"),
                             (NID_subject_alt_name, alternatives.joined(separator: ","))] {
            guard let made = X509V3_EXT_conf_nid(nil, &extensionContext, nid, value) else { throw contextError() }
            _ = X509_add_ext(certificate, made, -1)
            X509_EXTENSION_free(made)
        }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw contextError() }

        let keyPEM = try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        let certificatePEM = try pem { PEM_write_bio_X509($0, certificate) }
        return (certificatePEM, keyPEM)
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw contextError() }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw contextError() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = BIO_read(bio, &chunk, Int32(chunk.count))
            if count <= 0 { break }
            bytes += chunk[0..<Int(count)]
        }
        return bytes
    }
}
