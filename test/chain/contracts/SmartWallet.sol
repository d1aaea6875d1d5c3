// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SmartWallet
/// @notice TEST ONLY. A minimal ERC-1271 wallet owned by one EOA: a signature is valid when the owner signed the raw
/// digest (65 bytes, low-s, no prefix). The owner can make it call anything, e.g. move the tokens it holds.
/// @custom:see Tollgate reference chain.md section 2 (ERC-1271 test wallet)
contract SmartWallet {
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant INVALID_VALUE = 0xffffffff;
    uint256 private constant HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    address public owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271: `0x1626ba7e` if the owner signed `hash`, else `0xffffffff`.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID_VALUE;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_CURVE_ORDER) return INVALID_VALUE;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC_VALUE : INVALID_VALUE;
    }

    /// @notice Calls `target` with `data`; only the owner may.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "not owner");
        (bool success, bytes memory result) = target.call(data);
        require(success, "call failed");
        return result;
    }
}
